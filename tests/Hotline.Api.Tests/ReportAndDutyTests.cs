namespace Hotline.Api.Tests;

/// <summary>Issue 11: the admin's date-range report (item 7) and <c>GET /api/duty</c> (item 3) over REST.</summary>
[Collection(MainCollection.Name)]
public sealed class ReportAndDutyTests(HotlineHost host)
{
    private static readonly TimeSpan Wait = TimeSpan.FromSeconds(30);

    [Fact]
    public async Task Range_report_counts_a_rated_consultation_by_local_day_hour_category_and_region()
    {
        await using var kit = new TestKit(host);
        var (category, dialect) = TestKit.Combo();
        var admin = await kit.AdminToken();
        var lawyer = await kit.Lawyer([category], dialect, capacity: 1);
        await lawyer.Hub.Invoke<Lawyer>("SetAvailability", ["available"]);
        var worker = await kit.Worker();
        var c = await kit.Rest.OpenConsultation(worker.Token, category, dialect, "老板拖欠工资三个月", region: "putian");
        await lawyer.Hub.Offers.WaitAsync(o => o.ConsultationId == c.Id, Wait);
        await lawyer.Hub.AcceptOffer(c.Id);
        await lawyer.Hub.Invoke<Consultation>("CloseConsultation", [c.Id, "answered", null, "带上工资条去仲裁"]);
        await worker.Hub.Invoke<Consultation>("RateConsultation", [c.Id, 4, null]);

        // Statistics are recorded just after each step: read until the row shows all of them.
        JsonElement report = default, row = default;
        await Hotline.Testing.Wait.Until(async () =>
        {
            report = await kit.Rest.Send<JsonElement>(HttpMethod.Get, "/api/admin/reports/range", admin);
            row = report.GetProperty("categories").EnumerateArray().FirstOrDefault(r => r.GetProperty("key").GetString() == category);
            return row.ValueKind == JsonValueKind.Object && row.GetProperty("rated").GetInt32() == 1;
        }, Wait, () => "the report never showed the rated consultation: " + report);
        Assert.Equal((1, 1, 1, 1), (row.GetProperty("arrived").GetInt32(), row.GetProperty("answered").GetInt32(), row.GetProperty("closed").GetInt32(), row.GetProperty("rated").GetInt32()));
        Assert.Equal(4.0, row.GetProperty("satisfaction").GetDouble());

        // Local days of Hotline:TimeZone (Asia/Shanghai by default): the last 7 up to today, every hour of them.
        Assert.Equal("Asia/Shanghai", report.GetProperty("timezone").GetString());
        var zone = TimeZoneInfo.FindSystemTimeZoneById("Asia/Shanghai");
        var today = DateOnly.FromDateTime(TimeZoneInfo.ConvertTime(DateTimeOffset.UtcNow, zone).DateTime);
        Assert.Equal(today.ToString("yyyy-MM-dd"), report.GetProperty("to").GetString());
        Assert.Equal(7, report.GetProperty("days").GetArrayLength());
        Assert.Equal(7 * 24, report.GetProperty("hours").GetArrayLength());
        Assert.EndsWith("+08:00", report.GetProperty("hours")[0].GetProperty("key").GetString());
        Assert.Equal(24, report.GetProperty("hourOfDay").GetArrayLength());
        Assert.True(report.GetProperty("days")[6].GetProperty("arrived").GetInt32() >= 1);
        var region = report.GetProperty("regions").EnumerateArray().Single(r => r.GetProperty("key").GetString() == "putian");
        Assert.True(region.GetProperty("arrived").GetInt32() >= 1);
        Assert.True(region.GetProperty("answered").GetInt32() >= 1);

        // A range that ended before today has none of it.
        var yesterday = today.AddDays(-1).ToString("yyyy-MM-dd");
        var earlier = await kit.Rest.Send<JsonElement>(HttpMethod.Get, $"/api/admin/reports/range?from={yesterday}&to={yesterday}", admin);
        Assert.DoesNotContain(earlier.GetProperty("categories").EnumerateArray(), r => r.GetProperty("key").GetString() == category);
    }

    [Fact]
    public async Task Range_report_refuses_bad_ranges_and_non_admins()
    {
        await using var kit = new TestKit(host);
        var admin = await kit.AdminToken();
        foreach (var query in new[] { "from=2026-11-28&to=2026-11-27", "from=28.11.2026", "from=2024-01-01&to=2026-11-27" })
        {
            var (status, _, body) = await kit.Raw(HttpMethod.Get, "/api/admin/reports/range?" + query, admin);
            Assert.Equal((HttpStatusCode.BadRequest, "validation_failed"), (status, TestKit.ProblemCode(body)));
        }
        var worker = await kit.Worker(connect: false);
        Assert.Equal(HttpStatusCode.Forbidden, (await kit.Raw(HttpMethod.Get, "/api/admin/reports/range", worker.Token)).Status);
        Assert.Equal(HttpStatusCode.Unauthorized, (await kit.Raw(HttpMethod.Get, "/api/admin/reports/range")).Status);
    }

    [Fact]
    public async Task Duty_tells_who_is_online_and_when_the_next_shift_starts()
    {
        await using var kit = new TestKit(host);
        var (category, dialect) = TestKit.Combo();
        var duty = await kit.Rest.GetDuty();
        Assert.Equal("Asia/Shanghai", duty.Timezone);
        // Off duty: the next shift is named and lies ahead; on duty: none is named.
        Assert.Equal(duty.OnDutyNow, duty.NextShiftStartsAt is null);
        if (duty.NextShiftStartsAt is { } next) Assert.True(next > DateTimeOffset.UtcNow && next < DateTimeOffset.UtcNow.AddDays(7));

        var lawyer = await kit.Lawyer([category], dialect);
        await lawyer.Hub.Invoke<Lawyer>("SetAvailability", ["available"]);
        await Hotline.Testing.Wait.Until(async () => (duty = await kit.Rest.GetDuty()).LawyersOnline >= 1, Wait, () => "GET /api/duty never counted the lawyer online");
        // Anyone may ask, no token needed: the answer holds counts only, no names.
        var (status, _, body) = await kit.Raw(HttpMethod.Get, "/api/duty");
        Assert.Equal(HttpStatusCode.OK, status);
        Assert.DoesNotContain(lawyer.Username, body);
    }
}
