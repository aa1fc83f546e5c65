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
/// <item>Traditional characters of the legal-form words, of Fujian's place names and of the commonest words in company
/// names become simplified (責任, 集團, 工廠, 辦事處, 廈門, 龍巖, 寧德, 電子, 實業, 貿易 ...; a fixed one-to-one table).</item>
/// <item>A bracketed Fujian place ("ABC电子（厦门）有限公司") is taken out of the name as its place.</item>
/// <item>The text is cut into runs of letters and digits; spaces, punctuation and symbols only separate runs.</item>
/// <item>Trailing Latin legal forms are dropped as whole words: co, company, ltd, limited, inc, incorporated, corp,
/// corporation, llc, plc, group, gmbh, pte, pty ("Co., Ltd." and "Co.,Ltd" alike).</item>
/// <item>The runs are joined without separators; a branch ("...有限公司湖里分公司") is reduced to its parent company.</item>
/// <item>Trailing Chinese legal forms are dropped, longest first and repeatedly: 股份有限公司, 有限责任公司, 有限公司,
/// 股份公司, 集团, 公司, 分公司, 工厂, 厂 ("某某集团有限公司" -> "某某").</item>
/// </list>
/// <item>A leading Fujian place ("厦门", "厦门市", "福建省厦门市") is split off as the place when a name of at least
/// <see cref="MinCoreLength"/> characters remains; without one, the worker's region gives the place, but only for names of
/// at least <see cref="MinInferredCoreLength"/> characters (a short generic name from Xiamen is not assumed to be Xiamen's).</item>
/// <item>The key is <c>place:name</c> when the place is known, else the name alone.</item>
/// <para>So "厦门ABC电子", "ABC电子（厦门）" and "ABC电子" written by a worker in Xiamen share a key, while "泉州ABC电子" is
/// another employer and "ABC电子" with no region stays apart (a false alert costs more than a late one). Conflicts of
/// interest compare more broadly (<see cref="Conflicts"/>): a conflict without a place covers the name in every city.
/// A name that is nothing but a legal form has no key (<c>null</c>), so it never groups unrelated workers.</para>
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

    /// <summary>Shortest name left after splitting off a written place ("厦门航空" -> 厦门 + 航空).</summary>
    public const int MinCoreLength = 2;
    /// <summary>Shortest name that takes the worker's region as its place when it names none.</summary>
    public const int MinInferredCoreLength = 4;
    /// <summary>Between the place and the name in a key (keys are otherwise letters and digits only).</summary>
    public const char PlaceSeparator = ':';

    /// <summary>Fujian's cities and Pingtan (the region ids of <c>seeds/catalog.json</c>) and their Chinese names.</summary>
    public static readonly IReadOnlyDictionary<string, string> Places = new Dictionary<string, string>(StringComparer.Ordinal)
    {
        ["fuzhou"] = "福州", ["xiamen"] = "厦门", ["putian"] = "莆田", ["sanming"] = "三明", ["quanzhou"] = "泉州",
        ["zhangzhou"] = "漳州", ["nanping"] = "南平", ["longyan"] = "龙岩", ["ningde"] = "宁德", ["pingtan"] = "平潭",
    };

    // Traditional -> simplified, one character to one: the legal-form words (責任 集團 工廠 辦事處), Fujian's place names
    // (廈門 龍巖 寧德) and the words companies are most often named with (電子 實業 貿易 機械 紡織 製造 ...). Only characters
    // whose simplified form is unambiguous in company names are listed; anything else stays as written.
    private static readonly Dictionary<char, char> Traditional = new()
    {
        ['責'] = '责', ['團'] = '团', ['廠'] = '厂', ['辦'] = '办', ['處'] = '处', ['廈'] = '厦', ['門'] = '门', ['龍'] = '龙', ['巖'] = '岩',
        ['寧'] = '宁', ['電'] = '电', ['業'] = '业', ['貿'] = '贸', ['實'] = '实', ['機'] = '机', ['紡'] = '纺', ['織'] = '织', ['裝'] = '装',
        ['飾'] = '饰', ['築'] = '筑', ['設'] = '设', ['計'] = '计', ['製'] = '制', ['藥'] = '药', ['醫'] = '医', ['療'] = '疗', ['運'] = '运',
        ['輸'] = '输', ['貨'] = '货', ['銷'] = '销', ['務'] = '务', ['資'] = '资', ['產'] = '产', ['開'] = '开', ['發'] = '发', ['國'] = '国',
        ['際'] = '际', ['興'] = '兴', ['華'] = '华', ['東'] = '东', ['廣'] = '广', ['環'] = '环', ['車'] = '车', ['鋼'] = '钢', ['鐵'] = '铁',
        ['礦'] = '矿', ['膠'] = '胶', ['紙'] = '纸', ['飲'] = '饮', ['館'] = '馆', ['廳'] = '厅', ['園'] = '园', ['農'] = '农', ['漁'] = '渔',
        ['萬'] = '万', ['達'] = '达', ['豐'] = '丰', ['聯'] = '联', ['鳳'] = '凤', ['寶'] = '宝', ['號'] = '号', ['經'] = '经', ['營'] = '营',
        ['衛'] = '卫', ['網'] = '网', ['絡'] = '络', ['訊'] = '讯', ['數'] = '数', ['碼'] = '码', ['陽'] = '阳', ['雲'] = '云', ['氣'] = '气',
        ['燈'] = '灯', ['學'] = '学', ['樂'] = '乐', ['藝'] = '艺', ['術'] = '术', ['創'] = '创', ['險'] = '险', ['銀'] = '银', ['證'] = '证',
        ['義'] = '义', ['樓'] = '楼', ['區'] = '区', ['縣'] = '县', ['鎮'] = '镇', ['億'] = '亿', ['恆'] = '恒', ['榮'] = '荣', ['灣'] = '湾',
        ['倉'] = '仓', ['儲'] = '储', ['傳'] = '传',
    };

    private static readonly string[] ProvincePrefixes = ["福建省", "福建"];
    private static readonly string[] NotPlaces = ["三明治"];
    private static readonly string[] ParentMarkers = ["有限责任公司", "股份有限公司", "有限公司", "公司"];

    /// <summary>
    /// The comparison key of an employer name, or <c>null</c> when the name is empty or nothing but punctuation and legal
    /// forms. <paramref name="region"/> is the worker's region id (catalog), used as the place when the name gives none.
    /// Pure and deterministic: the same input always gives the same key.
    /// </summary>
    public static string? Key(string? name, string? region = null)
    {
        if (string.IsNullOrWhiteSpace(name)) return null;
        var text = Simplify(name.Normalize(NormalizationForm.FormKC).ToLowerInvariant());
        var bracketPlace = TakeBracketedPlace(ref text);
        if (NameKey(text) is not { } key) return null;
        var (place, core) = SplitLeadingPlace(key);
        if (bracketPlace is not null)
        {
            if (place is null) place = bracketPlace;
            // Two different places written ("泉州ABC（厦门）"): nothing is guessed, the whole name is the name.
            else if (place != bracketPlace) { place = null; core = key; }
        }
        if (place is null && region is not null && Places.TryGetValue(region, out var inferred) && core.Length >= MinInferredCoreLength) place = inferred;
        return place is null ? core : place + PlaceSeparator + core;
    }

    /// <summary>
    /// Whether a consultation's employer key is covered by a lawyer's conflict keys: the same key, or the same name where
    /// either side names no place (a conflict with "ABC电子" covers ABC电子 in every city; one with "厦门ABC电子" also covers an
    /// "ABC电子" whose city is unknown). Broader than alerts on purpose: a missed conflict is worse than a skipped offer.
    /// </summary>
    public static bool Conflicts(string employerKey, IReadOnlyCollection<string> conflictKeys)
    {
        if (conflictKeys.Count == 0) return false;
        if (conflictKeys.Contains(employerKey)) return true;
        var (place, core) = Parts(employerKey);
        foreach (var k in conflictKeys)
        {
            var (kPlace, kCore) = Parts(k);
            if (kCore == core && (kPlace is null || place is null)) return true;
        }
        return false;
    }

    /// <summary>The place (or null) and the name of a key.</summary>
    public static (string? Place, string Name) Parts(string key)
    {
        var at = key.IndexOf(PlaceSeparator, StringComparison.Ordinal);
        return at < 0 ? (null, key) : (key[..at], key[(at + 1)..]);
    }

    /// <summary>Width, case, punctuation, legal forms and branches: the name without any place handling (or null).</summary>
    private static string? NameKey(string text)
    {

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

    private static string Simplify(string text)
    {
        var chars = text.ToCharArray();
        for (var i = 0; i < chars.Length; i++)
            if (Traditional.TryGetValue(chars[i], out var simple)) chars[i] = simple;
        return new string(chars);
    }

    /// <summary>Removes one bracketed Fujian place ("(厦门)", "(厦门市)", "[福建厦门]", "【厦门】") and returns it.</summary>
    private static string? TakeBracketedPlace(ref string text)
    {
        for (var open = text.IndexOfAny(['(', '[', '【', '〔']); open >= 0; open = text.IndexOfAny(['(', '[', '【', '〔'], open + 1))
        {
            var close = text.IndexOfAny([')', ']', '】', '〕'], open + 1);
            if (close < 0) return null;
            var inner = text[(open + 1)..close].Trim();
            foreach (var prefix in ProvincePrefixes)
                if (inner.StartsWith(prefix, StringComparison.Ordinal) && inner.Length > prefix.Length) { inner = inner[prefix.Length..]; break; }
            if (inner.EndsWith('市')) inner = inner[..^1];
            if (!Places.Values.Contains(inner)) continue;
            text = text[..open] + " " + text[(close + 1)..];
            return inner;
        }
        return null;
    }

    /// <summary>"福建省厦门市abc电子" -> (厦门, abc电子) when at least <see cref="MinCoreLength"/> characters remain; else (null, key).</summary>
    private static (string? Place, string Core) SplitLeadingPlace(string key)
    {
        var rest = key;
        foreach (var prefix in ProvincePrefixes)
            if (rest.StartsWith(prefix, StringComparison.Ordinal)) { rest = rest[prefix.Length..]; break; }
        foreach (var place in Places.Values)
        {
            if (!rest.StartsWith(place, StringComparison.Ordinal)) continue;
            var core = rest[place.Length..];
            // 三明治 is a sandwich, not Sanming: a place followed by a character that makes another word stays in the name.
            if (NotPlaces.Any(w => rest.StartsWith(w, StringComparison.Ordinal))) return (null, key);
            if (core.StartsWith('市')) core = core[1..];
            return core.Length >= MinCoreLength ? (place, core) : (null, key);
        }
        return (null, key);
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
