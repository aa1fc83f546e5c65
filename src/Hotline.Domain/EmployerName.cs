using System.Text;

namespace Hotline.Domain;

/// <summary>
/// Employer names as workers write them, reduced to one comparison key, so that "厦门ＡＢＣ电子有限公司",
/// "厦门 ABC 电子" and "厦门abc电子有限责任公司" are the same employer for collective-dispute alerts and
/// conflicts of interest.
/// </summary>
/// <remarks>
/// <para>The key is built in this order (see docs/employer-names.md):</para>
/// <list type="number">
/// <item>Unicode NFKC: full-width letters, digits, spaces and brackets become their half-width forms (ＡＢＣ -> ABC, （ -> ().</item>
/// <item>Lower case (invariant), so Latin names compare case-insensitively.</item>
/// <item>The text is cut into runs of letters and digits; spaces, punctuation and symbols only separate runs.</item>
/// <item>Trailing Latin legal forms are dropped as whole words: co, company, ltd, limited, inc, incorporated, corp,
/// corporation, llc, plc, group, gmbh, pte, pty ("Co., Ltd." and "Co.,Ltd" alike).</item>
/// <item>The runs are joined without separators; a branch ("...有限公司湖里分公司") is reduced to its parent company.</item>
/// <item>Trailing Chinese legal forms are dropped, longest first and repeatedly: 股份有限公司, 有限责任公司, 有限公司,
/// 股份公司, 集团, 公司, 分公司, 工厂, 厂 ("某某集团有限公司" -> "某某").</item>
/// </list>
/// <para>Nothing else is guessed: a city prefix ("厦门ABC电子" vs "ABC电子") or a bracketed place ("ABC电子（厦门）")
/// stays part of the name, and traditional characters are not mapped to simplified ones. A name that is nothing but a
/// legal form has no key (<c>null</c>), so it never groups unrelated workers.</para>
/// </remarks>
public static class EmployerName
{
    /// <summary>Longest employer name accepted at intake and in a conflict declaration.</summary>
    public const int MaxLength = 100;

    private static readonly HashSet<string> LatinLegalForms = new(StringComparer.Ordinal)
    {
        "co", "company", "ltd", "limited", "inc", "incorporated", "corp", "corporation", "llc", "plc", "group", "gmbh", "pte", "pty",
    };

    // Longest first, so that 有限责任公司 is not left as 有限责任 after removing 公司.
    private static readonly string[] ChineseLegalForms =
        ["股份有限公司", "有限责任公司", "有限公司", "股份公司", "分公司", "集团", "公司", "工厂", "厂"];

    private static readonly string[] BranchMarkers = ["分公司", "分厂", "办事处"];
    private static readonly string[] ParentMarkers = ["有限责任公司", "股份有限公司", "有限公司", "公司"];

    /// <summary>
    /// The comparison key of an employer name, or <c>null</c> when the name is empty or nothing but punctuation and legal
    /// forms. Pure and deterministic: the same input always gives the same key.
    /// </summary>
    public static string? Key(string? name)
    {
        if (string.IsNullOrWhiteSpace(name)) return null;
        var text = name.Normalize(NormalizationForm.FormKC).ToLowerInvariant();

        var runs = new List<string>();
        var run = new StringBuilder();
        foreach (var rune in text.EnumerateRunes())
        {
            if (Rune.IsLetterOrDigit(rune)) run.Append(rune.ToString());
            else if (run.Length > 0) { runs.Add(run.ToString()); run.Clear(); }
        }
        if (run.Length > 0) runs.Add(run.ToString());

        while (runs.Count > 0 && LatinLegalForms.Contains(runs[^1])) runs.RemoveAt(runs.Count - 1);
        var key = string.Concat(runs);

        key = ParentOfBranch(key);
        if (IsOnlyLegalForm(key)) return null;
        for (var changed = true; changed && key.Length > 0;)
        {
            changed = false;
            foreach (var form in ChineseLegalForms)
            {
                if (key.Length <= form.Length || !key.EndsWith(form, StringComparison.Ordinal)) continue;
                key = key[..^form.Length];
                changed = true;
                break;
            }
        }
        // A bare legal form ("有限公司", "Co., Ltd.") names nobody.
        return key.Length == 0 || IsOnlyLegalForm(key) ? null : key;
    }

    /// <summary>Whether two employer names denote the same employer (same non-null key).</summary>
    public static bool Same(string? a, string? b) => Key(a) is { } ka && string.Equals(ka, Key(b), StringComparison.Ordinal);

    /// <summary>
    /// The name as shown to people: trimmed, inner runs of white space collapsed to one space, full-width spaces included.
    /// Returns <c>null</c> for an empty name. Validation (length, control characters) is the caller's.
    /// </summary>
    public static string? Display(string? name)
    {
        if (string.IsNullOrWhiteSpace(name)) return null;
        var sb = new StringBuilder(name.Length);
        var space = false;
        foreach (var c in name.Trim())
        {
            if (char.IsWhiteSpace(c)) { space = true; continue; }
            if (space && sb.Length > 0) sb.Append(' ');
            space = false;
            sb.Append(c);
        }
        return sb.ToString();
    }

    /// <summary>Why a given employer name is refused at intake, or <c>null</c> when it is acceptable (empty is acceptable: the field is optional).</summary>
    public static string? Problem(string? name)
    {
        if (name is null) return null;
        if (name.Length > MaxLength) return $"employer is longer than {MaxLength} characters";
        // Control and bidi characters, and lone surrogates (which the normalisation cannot take).
        if (TextRules.FirstForbidden(name, multiline: false) is not null) return "employer contains control characters";
        return null;
    }

    /// <summary>"某某电子有限公司湖里分公司" -> "某某电子有限公司": a branch belongs to its parent's workers.</summary>
    private static string ParentOfBranch(string key)
    {
        foreach (var branch in BranchMarkers)
        {
            if (!key.EndsWith(branch, StringComparison.Ordinal) || key.Length == branch.Length) continue;
            var head = key[..^branch.Length];
            foreach (var parent in ParentMarkers)
            {
                var at = head.LastIndexOf(parent, StringComparison.Ordinal);
                if (at > 0) return head[..(at + parent.Length)];
            }
            return head;
        }
        return key;
    }

    private static bool IsOnlyLegalForm(string key)
    {
        foreach (var form in ChineseLegalForms)
            if (key == form) return true;
        return LatinLegalForms.Contains(key);
    }
}
