using System.Security.Claims;
using System.Security.Cryptography;
using System.Text;
using Hotline.Abstractions;
using Hotline.Domain;
using Hotline.Silo.Security;

namespace Hotline.Silo.Api;

/// <summary>Consultations over REST: open (web and phone), read, messages, the worker's own list.</summary>
public static class ConsultationEndpoints
{
    public static void MapConsultationEndpoints(this IEndpointRouteBuilder app)
    {
        var api = app.MapGroup("/api").RequireRateLimiting(ApiExtensions.RestPolicy);

        api.MapPost("/consultations", async (CreateConsultationRequest body, ClaimsPrincipal user, IGrainFactory grains, GrainCalls calls, Catalog catalog) =>
        {
            var channel = body.Channel is null ? Channel.Web : WireEnum.Parse<Channel>(body.Channel, "channel");
            if (channel == Channel.Phone) throw new HotlineException(HotlineException.Codes.Validation, "phone consultations come from the gateway");
            var view = await Open(grains, calls, catalog, user.Id(), user.FindFirstValue(Roles.NameClaim), body.Category, body.Dialect, body.Summary, channel, null,
                new Intake(body.Employer, body.Region));
            return Results.Created($"/api/consultations/{view.Id}", view);
        }).RequireAuthorization(Roles.Worker).WithTags("consultations");

        api.MapGet("/consultations/{id}", async (string id, ClaimsPrincipal user, IGrainFactory grains, GrainCalls calls) =>
        {
            var grain = grains.GetGrain<IConsultationGrain>(ConsultationIds.Validate(id));
            // Join with afterSeq = long.MaxValue checks access and returns the view without messages.
            var joined = await calls.Run(() => grain.Join(user.ToCaller(), long.MaxValue));
            return Results.Ok(joined.Consultation);
        }).RequireAuthorization(ApiExtensions.ParticipantPolicy).WithTags("consultations");

        api.MapGet("/consultations/{id}/messages", async (string id, long? afterSeq, int? limit, ClaimsPrincipal user, IGrainFactory grains, GrainCalls calls) =>
        {
            var grain = grains.GetGrain<IConsultationGrain>(ConsultationIds.Validate(id));
            return Results.Ok(await calls.Run(() => grain.GetMessages(user.ToCaller(), afterSeq ?? 0, limit ?? 100)));
        }).RequireAuthorization(ApiExtensions.ParticipantPolicy).WithTags("consultations");

        api.MapGet("/workers/me/consultations", (ClaimsPrincipal user, IGrainFactory grains, GrainCalls calls)
            => ConsultationQueries.MyConsultations(grains, calls, user.Id())).RequireAuthorization(Roles.Worker).WithTags("consultations");

        api.MapPost("/hotline/calls", async (PhoneCallRequest body, IGrainFactory grains, GrainCalls calls, Catalog catalog) =>
        {
            var number = body.CallerNumber?.Trim();
            if (string.IsNullOrEmpty(number) || number.Length > 20 || !number.All(c => char.IsAsciiDigit(c) || c is '+' or '-'))
                throw new HotlineException(HotlineException.Codes.Validation, "callerNumber is not a phone number");
            // The same caller number is the same (anonymous) worker, so repeated calls group together.
            var workerId = "w-tel-" + Convert.ToHexStringLower(SHA256.HashData(Encoding.UTF8.GetBytes(number)))[..24];
            var masked = number.Length > 4 ? new string('*', number.Length - 4) + number[^4..] : number;
            var view = await Open(grains, calls, catalog, workerId, "来电 " + masked, body.Category, body.Dialect, $"12351 电话来电 Phone call from {masked}", Channel.Phone, number,
                new Intake(body.Employer, body.Region));
            return Results.Created($"/api/consultations/{view.Id}", view);
        }).RequireAuthorization(Roles.Gateway).WithTags("gateway");
    }

    private static async Task<ConsultationView> Open(IGrainFactory grains, GrainCalls calls, Catalog catalog, string workerId, string? workerName,
        string? category, string? dialect, string? summary, Channel channel, string? callerNumber, Intake intake)
    {
        var (employer, region) = intake.Validate(catalog);
        if (!catalog.HasCategory(category)) throw new HotlineException(HotlineException.Codes.Validation, "category is not in the catalog");
        if (!catalog.HasDialect(dialect)) throw new HotlineException(HotlineException.Codes.Validation, "dialect is not in the catalog");
        if (string.IsNullOrWhiteSpace(summary)) throw new HotlineException(HotlineException.Codes.Validation, "summary must not be empty");
        if (summary.Length > 2000) throw new HotlineException(HotlineException.Codes.Validation, "summary is longer than 2000 characters");
        var command = new OpenConsultation
        {
            WorkerId = workerId,
            WorkerName = string.IsNullOrEmpty(workerName) ? null : workerName,
            Category = category!,
            Dialect = dialect!,
            Summary = summary,
            Channel = channel,
            CallerNumber = callerNumber,
            Employer = employer,
            Region = region,
        };
        var id = ConsultationIds.New();
        return await calls.Run(() => grains.GetGrain<IConsultationGrain>(id).Open(command));
    }
}
