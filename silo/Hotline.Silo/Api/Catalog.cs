namespace Hotline.Silo.Api;

/// <summary>A catalog entry (category or dialect) with English and Chinese names.</summary>
public sealed record CatalogItem(string Id, string Name, string NameZh);

/// <summary>Categories and dialects (<c>GET /api/catalog</c>), from <c>seeds/catalog.json</c>.</summary>
public sealed record Catalog(IReadOnlyList<CatalogItem> Categories, IReadOnlyList<CatalogItem> Dialects)
{
    public bool HasCategory(string? id) => id is not null && Categories.Any(c => c.Id == id);
    public bool HasDialect(string? id) => id is not null && Dialects.Any(d => d.Id == id);
}

/// <summary>A canned reply citing its statute article (<c>GET /api/canned-replies</c>).</summary>
public sealed record CannedReply(string Id, string Category, string Title, string? TitleEn, string Text, string Statute);
