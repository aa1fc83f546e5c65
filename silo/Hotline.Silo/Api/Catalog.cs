namespace Hotline.Silo.Api;

/// <summary>A catalog entry (category or dialect) with English and Chinese names.</summary>
public sealed record CatalogItem(string Id, string Name, string NameZh);

/// <summary>Categories, dialects and regions (<c>GET /api/catalog</c>), from <c>seeds/catalog.json</c>.</summary>
public sealed record Catalog(IReadOnlyList<CatalogItem> Categories, IReadOnlyList<CatalogItem> Dialects)
{
    /// <summary>Fujian's prefecture-level cities and Pingtan (where a worker's employer is).</summary>
    public IReadOnlyList<CatalogItem> Regions { get; init; } = [];

    public bool HasCategory(string? id) => id is not null && Categories.Any(c => c.Id == id);
    public bool HasDialect(string? id) => id is not null && Dialects.Any(d => d.Id == id);
    public bool HasRegion(string? id) => id is not null && Regions.Any(r => r.Id == id);
}

/// <summary>A canned reply citing its statute article (<c>GET /api/canned-replies</c>).</summary>
public sealed record CannedReply(string Id, string Category, string Title, string? TitleEn, string Text, string Statute);
