using System.Security.Claims;
using Hotline.Abstractions;
using Hotline.Domain;
using Hotline.Silo.Security;
using Microsoft.Extensions.Options;

namespace Hotline.Silo.Api;

/// <summary>Consultations over REST: open (web and phone), read, messages, the worker's own list.</summary>
public static class ConsultationEndpoints
{
    public static void MapConsultationEndpoints(this IEndpointRouteBuilder app)
    {
        var api = app.MapGroup("/api").RequireRateLimiting(ApiExtensions.RestPolicy);

        api.MapPost("/consultations", async (CreateConsultationRequest body, ClaimsPrincipal user, IGrainFactory grains, GrainCalls calls, Catalog catalog,
            IOptions<HotlineLimits> limits, IPhoneNumberProtector keyed, HttpContext http) =>
        {
            var channel = body.Channel is null ? Channel.Web : WireEnum.Parse<Channel>(body.Channel, "channel");
            if (channel == Channel.Phone) throw new HotlineException(HotlineException.Codes.Validation, "phone consultations come from the gateway");
            var view = await Open(grains, calls, catalog, limits.Value, user.Id(), user.FindFirstValue(Roles.NameClaim), body.Category, body.Dialect, body.Summary,
                channel, null, keyed.KeyedHash("ip:" + ApiExtensions.ClientAddress(http)), new Intake(body.Employer, body.Region));
            return Results.Created($"/api/consultations/{view.Id}", view);
        }).RequireAuthorization(Roles.Worker).WithTags("consultations");

        api.MapGet("/consultations/{id}", async (string id, ClaimsPrincipal user, IGrainFactory grains, GrainCalls calls, IPhoneNumberProtector phones) =>
        {
            var grain = grains.GetGrain<IConsultationGrain>(ConsultationIds.Validate(id));
            // Join with afterSeq = long.MaxValue checks access and returns the view without messages.
            var joined = await calls.Run(() => grain.Join(user.ToCaller(), long.MaxValue));
            return Results.Ok(joined.Consultation.Reveal(phones));
        }).RequireAuthorization(ApiExtensions.ReaderPolicy).WithTags("consultations");

        api.MapGet("/consultations/{id}/messages", async (string id, long? afterSeq, int? limit, ClaimsPrincipal user, IGrainFactory grains, GrainCalls calls) =>
        {
            var grain = grains.GetGrain<IConsultationGrain>(ConsultationIds.Validate(id));
            return Results.Ok(await calls.Run(() => grain.GetMessages(user.ToCaller(), afterSeq ?? 0, limit ?? 100)));
        }).RequireAuthorization(ApiExtensions.ReaderPolicy).WithTags("consultations");

        api.MapGet("/workers/me/consultations", (ClaimsPrincipal user, IGrainFactory grains, GrainCalls calls)
            => ConsultationQueries.MyConsultations(grains, calls, user.Id())).RequireAuthorization(Roles.Worker).WithTags("consultations");

        api.MapPost("/hotline/calls", async (PhoneCallRequest body, IGrainFactory grains, GrainCalls calls, Catalog catalog, IPhoneNumberProtector phones,
            IOptions<HotlineLimits> limits) =>
        {
            var number = PhoneNumbers.Normalize(body.CallerNumber)
                ?? throw new HotlineException(HotlineException.Codes.Validation, "callerNumber is not a phone number");
            // The same caller is the same (anonymous) worker, so repeated calls group together; the id is a keyed hash
            // (HMAC, server secret) and the number itself is stored only encrypted. Names and summaries never show it.
            var workerId = phones.WorkerIdFor(number);
            var view = await Open(grains, calls, catalog, limits.Value, workerId, "来电 Phone caller", body.Category, body.Dialect, "12351 电话来电 Phone call",
                Channel.Phone, phones.Protect(number), address: null, new Intake(body.Employer, body.Region), body.Callback ?? false);
            return Results.Created($"/api/consultations/{view.Id}", view);
        }).RequireAuthorization(Roles.Gateway).WithTags("gateway");
    }

    /// <summary>Code of the per-worker and per-address caps on open consultations (HTTP 429).</summary>
    public const string TooManyOpen = "too_many_open_consultations";

    private static async Task<ConsultationView> Open(IGrainFactory grains, GrainCalls calls, Catalog catalog, HotlineLimits limits, string workerId, string? workerName,
        string? category, string? dialect, string? summary, Channel channel, string? callerNumber, string? address, Intake intake, bool callback = false)
    {
        var (employer, region) = intake.Validate(catalog);
        if (!catalog.HasCategory(category)) throw new HotlineException(HotlineException.Codes.Validation, "category is not in the catalog");
        if (!catalog.HasDialect(dialect)) throw new HotlineException(HotlineException.Codes.Validation, "dialect is not in the catalog");
        summary = Validation.Text(summary, "summary", limits.MaxSummaryLength);
        var command = new OpenConsultation
        {
            WorkerId = workerId,
            WorkerName = string.IsNullOrEmpty(workerName) ? null : workerName,
            Category = category!,
            Dialect = dialect!,
            Summary = summary,
            Channel = channel,
            CallerNumber = callerNumber,
            Callback = callback,
            Employer = employer,
            Region = region,
        };
        var id = ConsultationIds.New();
        // Abuse limits: open consultations per worker and per client address (phone calls: per caller only).
        var slots = new List<IOpenConsultationsGrain> { grains.GetGrain<IOpenConsultationsGrain>("open-" + workerId) };
        if (address is not null) slots.Add(grains.GetGrain<IOpenConsultationsGrain>("open-ip-" + address));
        var max = new[] { limits.MaxOpenPerWorker, limits.MaxOpenPerAddress };
        for (var i = 0; i < slots.Count; i++)
        {
            var slot = slots[i];
            if (await calls.Run(() => slot.TryReserve(id, max[i]))) continue;
            for (var j = 0; j < i; j++) await calls.Run(() => slots[j].Release(id));
            throw new HotlineException(TooManyOpen, i == 0
                ? $"at most {limits.MaxOpenPerWorker} open consultations per worker: close one first"
                : "too many open consultations from this network, try again later");
        }
        try
        {
            return await calls.Run(() => grains.GetGrain<IConsultationGrain>(id).Open(command));
        }
        catch (HotlineException)
        {
            foreach (var slot in slots) await calls.Run(() => slot.Release(id));
            throw;
        }
    }
}
