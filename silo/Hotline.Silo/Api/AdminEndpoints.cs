using System.Globalization;
using System.Text;
using Hotline.Abstractions;
using Hotline.Silo.Security;

namespace Hotline.Silo.Api;

/// <summary><c>/api/admin/*</c>: metrics, the lawyer roster, hourly reports.</summary>
public static class AdminEndpoints
{
    public static void MapAdminEndpoints(this IEndpointRouteBuilder app)
    {
        var admin = app.MapGroup("/api/admin").RequireAuthorization(Roles.Admin).RequireRateLimiting(ApiExtensions.RestPolicy).WithTags("admin");

        admin.MapGet("/metrics", (IGrainFactory grains, GrainCalls calls)
            => calls.Run(() => grains.GetGrain<IStatisticsGrain>(GrainKeys.Hotline).GetSnapshot()));

        admin.MapGet("/lawyers", async (IGrainFactory grains, GrainCalls calls) =>
        {
            var ids = await calls.Run(() => grains.GetGrain<IRosterGrain>(GrainKeys.Hotline).GetAll());
            return await Task.WhenAll(ids.Select(id => calls.Run(() => grains.GetGrain<ILawyerGrain>(id).GetView())));
        });

        admin.MapPost("/lawyers", async (CreateLawyerRequest body, IGrainFactory grains, GrainCalls calls, Catalog catalog, AdminAccount account) =>
        {
            if (string.IsNullOrWhiteSpace(body.Username) || body.Username.Length > 64 || !body.Username.All(c => char.IsAsciiLetterOrDigit(c) || c is '.' or '-' or '_'))
                throw new HotlineException(HotlineException.Codes.Validation, "username must be 1-64 letters, digits, '.', '-' or '_'");
            if (string.Equals(body.Username, account.Username, StringComparison.OrdinalIgnoreCase))
                throw new HotlineException(HotlineException.Codes.Conflict, "username exists");
            if (string.IsNullOrEmpty(body.Password) || body.Password.Length is < 8 or > 256)
                throw new HotlineException(HotlineException.Codes.Validation, "password must be 8-256 characters");
            var displayName = Validation.DisplayName(body.DisplayName);
            if (body.Skills is not { Count: > 0 } || body.Skills.Any(s => !catalog.HasCategory(s)))
                throw new HotlineException(HotlineException.Codes.Validation, "skills must be catalog categories");
            if (body.Dialects is not { Count: > 0 } || body.Dialects.Any(d => !catalog.HasDialect(d)))
                throw new HotlineException(HotlineException.Codes.Validation, "dialects must be catalog dialects");
            if (body.Capacity is < 1 or > 10) throw new HotlineException(HotlineException.Codes.Validation, "capacity must be between 1 and 10");
            var id = GrainKeys.LawyerId(body.Username);
            var view = await calls.Run(() => grains.GetGrain<ILawyerGrain>(id).Register(new LawyerProfile
            {
                Username = body.Username.ToLowerInvariant(),
                DisplayName = displayName,
                PasswordHash = PasswordHasher.Hash(body.Password),
                Skills = body.Skills.Distinct().ToList(),
                Dialects = body.Dialects.Distinct().ToList(),
                Capacity = body.Capacity,
            }, overwrite: false));
            return Results.Created($"/api/admin/lawyers/{id}", view);
        });

        // Puts a queued, offered or active consultation back to routing (contract "Nobody stranded").
        admin.MapPost("/consultations/{id}/requeue", async (string id, RequeueRequest? body, IGrainFactory grains, GrainCalls calls) =>
        {
            var grain = grains.GetGrain<IConsultationGrain>(ConsultationIds.Validate(id));
            if (body?.ToLawyerId is { } lawyer && (lawyer.Length is 0 or > 80 || !lawyer.StartsWith("lw-", StringComparison.Ordinal)))
                throw new HotlineException(HotlineException.Codes.Validation, "toLawyerId is not a lawyer id");
            // The answer is the consultation's metadata: a requeue grants no reading of the case (that is the audited grant).
            return ConsultationQueries.AdminMetadata(await calls.Run(() => grain.AdminRequeue(body?.ToLawyerId)));
        });

        admin.MapGet("/reports/hourly", async (DateTimeOffset? from, DateTimeOffset? to, string? format, IGrainFactory grains, GrainCalls calls, TimeProvider time) =>
        {
            var (start, end) = Validation.Period(from, to, TimeSpan.FromDays(1), HourlyReportMaxSpan, time.GetUtcNow());
            var rows = await calls.Run(() => grains.GetGrain<IStatisticsGrain>(GrainKeys.Hotline).GetHourly(start, end));
            return format switch
            {
                null or "json" => Results.Ok(rows),
                "csv" => Results.Text(ToCsv(rows), "text/csv; charset=utf-8"),
                _ => throw new HotlineException(HotlineException.Codes.Validation, "format must be json or csv"),
            };
        });
    }

    /// <summary>Widest hourly report (one row per hour and category).</summary>
    public static readonly TimeSpan HourlyReportMaxSpan = TimeSpan.FromDays(400);

    private static string ToCsv(IReadOnlyList<HourlyReportRow> rows)
    {
        var csv = new StringBuilder("hour,category,arrived,answered,abandoned,averageWaitSeconds,serviceLevel20,serviceLevel60,averageHandleSeconds\n");
        foreach (var r in rows)
            csv.AppendLine(string.Join(',', r.Hour.UtcDateTime.ToString("yyyy-MM-ddTHH:mm:ssZ", CultureInfo.InvariantCulture), r.Category, r.Arrived, r.Answered, r.Abandoned,
                r.AverageWaitSeconds.ToString("0.##", CultureInfo.InvariantCulture), r.ServiceLevel20.ToString("0.####", CultureInfo.InvariantCulture),
                r.ServiceLevel60.ToString("0.####", CultureInfo.InvariantCulture), r.AverageHandleSeconds.ToString("0.##", CultureInfo.InvariantCulture)));
        return csv.ToString();
    }
}
