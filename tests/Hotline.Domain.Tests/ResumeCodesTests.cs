namespace Hotline.Domain.Tests;

public sealed class ResumeCodesTests
{
    [Fact]
    public void New_codes_are_eight_letters_of_the_alphabet_in_two_groups_and_normalise_back()
    {
        for (var i = 0; i < 200; i++)
        {
            var code = ResumeCodes.New();
            Assert.Matches("^[0-9A-HJKMNP-TV-Z]{4}-[0-9A-HJKMNP-TV-Z]{4}$", code);
            Assert.Equal(code.Replace("-", ""), ResumeCodes.Normalize(code));
        }
    }

    [Theory]
    [InlineData("abcd-efgh", "ABCDEFGH")]
    [InlineData(" ABCD EFGH ", "ABCDEFGH")]
    [InlineData("oIlu-0000", "011V0000")]
    public void Typing_is_forgiving(string typed, string canonical)
        => Assert.Equal(canonical, ResumeCodes.Normalize(typed));

    [Theory]
    [InlineData(null)]
    [InlineData("")]
    [InlineData("ABCD-EFG")]
    [InlineData("ABCD-EFGHJ")]
    [InlineData("ABCD-EFG!")]
    [InlineData("ABCD-EFG\u0000")]
    public void Anything_else_is_no_code(string? typed) => Assert.Null(ResumeCodes.Normalize(typed));

    [Fact]
    public void A_code_is_live_until_its_expiry_instant()
    {
        var at = new DateTimeOffset(2026, 11, 29, 10, 0, 0, TimeSpan.Zero);
        Assert.True(ResumeCodes.IsLive(at, at.AddTicks(-1)));
        Assert.False(ResumeCodes.IsLive(at, at));
        Assert.False(ResumeCodes.IsLive(at, at.AddMinutes(1)));
    }
}
