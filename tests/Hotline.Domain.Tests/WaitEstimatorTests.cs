namespace Hotline.Domain.Tests;

/// <summary>Issue 11: the wait estimate and the duty roster.</summary>
public class WaitEstimatorTests
{
    [Fact]
    public void NoEligibleLawyerOnline_NoEstimate()
    {
        Assert.Null(new WaitEstimator([], 0, 300).Estimate(1));
        Assert.Null(new WaitEstimator([0, 0], 0, 300).Estimate(1));
    }

    [Fact]
    public void FreeSlotsFirst_ThenBusySlotsByHowSoonTheyFree()
    {
        // Two free slots, one chat nearly done (10 s), one just started (300 s).
        var e = new WaitEstimator([0, 0, 10, 300], 2, 300);
        Assert.Equal(0, e.Estimate(1));
        Assert.Equal(0, e.Estimate(2));
        var third = e.Estimate(3)!.Value;
        Assert.InRange(third, 1, 10); // sooner than the nearly-done chat alone: any of four may free first
        Assert.True(e.Estimate(4) > third);
    }

    [Fact]
    public void MemorylessSlots_GiveErlangsPositionWait()
    {
        // 20 busy slots with 100 s expected remaining each: the k-th waiting consultation starts after k * 100 / 20 s.
        var e = new WaitEstimator(Enumerable.Repeat(100.0, 20), 20, 100);
        Assert.Equal(5, e.Estimate(1));
        Assert.Equal(50, e.Estimate(10));
    }

    [Fact]
    public void ExpectedRemaining_UsesTheHandleTimesThatLastedLonger()
    {
        double[] history = [60, 120, 180, 240, 300, 360];
        Assert.Equal(210 - 0, WaitEstimator.ExpectedRemaining(0, history, 210), 6);
        // After 200 s only 240, 300 and 360 lasted longer: too few samples, so AHT - elapsed with a floor.
        Assert.Equal(10.5, WaitEstimator.ExpectedRemaining(200, history, 210), 6);
        // Seven lasted longer than 100 s: 120, 180, 200, 240, 250, 300, 360 -> mean excess 950 / 7.
        Assert.Equal(950.0 / 7, WaitEstimator.ExpectedRemaining(100, [.. history, 200, 250], 210), 6);
    }

    private static readonly TimeZoneInfo Shanghai = HotlineCalendar.Zone("Asia/Shanghai");
    private static readonly DutyRoster Roster = new(
    [
        new DutyShift([DayOfWeek.Monday, DayOfWeek.Tuesday, DayOfWeek.Wednesday, DayOfWeek.Thursday, DayOfWeek.Friday], new TimeOnly(8, 30), new TimeOnly(21, 0)),
        new DutyShift([DayOfWeek.Saturday], new TimeOnly(22, 0), new TimeOnly(2, 0)),
    ], Shanghai);

    [Fact]
    public void Duty_FollowsTheLocalWeek()
    {
        // Monday 2025-03-10 03:00 Beijing = Sunday 19:00 UTC: off duty, next shift 08:30 Beijing = 00:30 UTC.
        var night = new DateTimeOffset(2025, 3, 9, 19, 0, 0, TimeSpan.Zero);
        Assert.False(Roster.IsOnDuty(night));
        Assert.Equal(new DateTimeOffset(2025, 3, 10, 0, 30, 0, TimeSpan.Zero), Roster.NextShiftStart(night));
        Assert.True(Roster.IsOnDuty(new DateTimeOffset(2025, 3, 10, 2, 0, 0, TimeSpan.Zero))); // 10:00 Monday Beijing
        // Friday 21:30 Beijing: off until Saturday 22:00.
        var friday = new DateTimeOffset(2025, 3, 14, 13, 30, 0, TimeSpan.Zero);
        Assert.False(Roster.IsOnDuty(friday));
        Assert.Equal(new DateTimeOffset(2025, 3, 15, 14, 0, 0, TimeSpan.Zero), Roster.NextShiftStart(friday));
        // Sunday 01:00 Beijing: the Saturday night shift still runs past midnight.
        Assert.True(Roster.IsOnDuty(new DateTimeOffset(2025, 3, 15, 17, 0, 0, TimeSpan.Zero)));
        Assert.Null(new DutyRoster([], Shanghai).NextShiftStart(night));
    }
}
