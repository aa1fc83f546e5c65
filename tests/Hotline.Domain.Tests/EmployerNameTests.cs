using Hotline.Domain;

namespace Hotline.Domain.Tests;

public class EmployerNameTests
{
    [Theory]
    // The brief's three spellings of one employer: full-width letters, spaces, another legal form.
    [InlineData("厦门ＡＢＣ电子有限公司")]
    [InlineData("厦门 ABC 电子")]
    [InlineData("厦门abc电子有限责任公司")]
    [InlineData("  厦门Abc电子股份有限公司  ")]
    [InlineData("厦门ABC电子集团有限公司")]
    [InlineData("厦门ABC电子公司")]
    [InlineData("厦门ABC电子厂")]
    [InlineData("厦门·ABC·电子（有限公司）")]
    [InlineData("厦门　ＡＢＣ　电子")] // ideographic (full-width) spaces
    [InlineData("厦门ABC电子有限公司湖里分公司")] // a branch counts as its parent
    [InlineData("厦门ABC电子 Co., Ltd.")]
    public void Variants_of_one_employer_share_a_key(string written) => Assert.Equal("厦门abc电子", EmployerName.Key(written));

    [Theory]
    [InlineData("ABC Electronics Co., Ltd.")]
    [InlineData("abc electronics co.,ltd")]
    [InlineData("ABC ELECTRONICS LIMITED")]
    [InlineData("ABC Electronics Inc.")]
    [InlineData("ABC Electronics Corp")]
    [InlineData("ABC Electronics, LLC")]
    [InlineData("ＡＢＣ　Ｅｌｅｃｔｒｏｎｉｃｓ")]
    public void Latin_legal_forms_are_dropped_as_words(string written) => Assert.Equal("abcelectronics", EmployerName.Key(written));

    [Theory]
    [InlineData("厦门ABC电子", "泉州ABC电子")] // another city's company is another employer
    [InlineData("厦门ABC电子", "厦门ABD电子")]
    [InlineData("Coastal Ltd", "Astal Co")] // "co" only goes as a whole word
    public void Different_employers_keep_different_keys(string a, string b)
    {
        Assert.NotEqual(EmployerName.Key(a), EmployerName.Key(b));
        Assert.False(EmployerName.Same(a, b));
    }

    [Theory]
    [InlineData(null)]
    [InlineData("")]
    [InlineData("   ")]
    [InlineData("有限公司")]
    [InlineData("Co., Ltd.")]
    [InlineData("股份有限公司")]
    [InlineData("集团有限公司")]
    [InlineData("（）—")]
    public void Names_that_name_nobody_have_no_key(string? written) => Assert.Null(EmployerName.Key(written));

    [Fact]
    public void Legal_form_words_inside_a_name_stay()
    {
        Assert.Equal("companycorner", EmployerName.Key("Company Corner Ltd"));
        Assert.Equal("公司巷餐饮", EmployerName.Key("公司巷餐饮有限公司"));
    }

    [Fact]
    public void Display_form_is_trimmed_and_keeps_the_writing()
    {
        Assert.Equal("厦门 ABC 电子", EmployerName.Display("  厦门   ABC　电子 "));
        Assert.Null(EmployerName.Display(" \t"));
    }

    [Fact]
    public void Problems_are_length_and_control_characters()
    {
        Assert.Null(EmployerName.Problem(null));
        Assert.Null(EmployerName.Problem(new string('厂', 100)));
        Assert.NotNull(EmployerName.Problem(new string('厂', 101)));
        Assert.NotNull(EmployerName.Problem("ABC\u0000电子"));
        // Found by the fuzzer: a lone surrogate reached the normalisation and failed it (internal_error).
        Assert.NotNull(EmployerName.Problem("ABC\ud800电子"));
        Assert.NotNull(TextRules.FirstForbidden("a\udc00"));
        Assert.Null(TextRules.FirstForbidden("厂😀"));
    }
}
