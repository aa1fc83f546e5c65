namespace Hotline.Domain.Tests;

internal static class R
{
    public static readonly DateTimeOffset T0 = new(2025, 1, 6, 8, 0, 0, TimeSpan.Zero);

    public static LawyerInfo Lawyer(string id, string skills, string dialects, int capacity = 1, LawyerStatus status = LawyerStatus.Available) =>
        new(id, id, skills.Split(',', StringSplitOptions.RemoveEmptyEntries), dialects.Split(',', StringSplitOptions.RemoveEmptyEntries), capacity, status);

    public static QueueEntry Entry(string id, string category = "wage", string dialect = "mandarin", Channel channel = Channel.Web,
        int priority = 0, DateTimeOffset? queuedAt = null) =>
        new() { ConsultationId = id, Category = category, Dialect = dialect, Channel = channel, Priority = priority, QueuedAt = queuedAt ?? default };

    public static RoutingEngine Engine(RoutingOptions? options = null) => new(new RouterState(), options ?? new RoutingOptions());

    /// <summary>An engine with two wage/Mandarin lawyers of capacity 1: "a" (online since T0, so idle longer) and "b" (since T0+1 s).</summary>
    public static RoutingEngine TwoLawyers(RoutingOptions? options = null)
    {
        var r = Engine(options);
        r.UpsertLawyer(Lawyer("a", "wage", "mandarin"), T0).Ok();
        r.UpsertLawyer(Lawyer("b", "wage", "mandarin"), T0.AddSeconds(1)).Ok();
        return r;
    }

    public static string Json(RouterState s) => JsonSerializer.Serialize(s);

    /// <summary>JSON options as the grain storage stores the router state (see Hotline.Storage.HotlineJson).</summary>
    public static JsonSerializerOptions StorageJson { get; } = CreateStorageJson();

    private static JsonSerializerOptions CreateStorageJson()
    {
        var o = new JsonSerializerOptions(JsonSerializerDefaults.General)
        {
            PropertyNameCaseInsensitive = true,
            PreferredObjectCreationHandling = System.Text.Json.Serialization.JsonObjectCreationHandling.Populate,
        };
        o.Converters.Add(new System.Text.Json.Serialization.JsonStringEnumConverter());
        return o;
    }

    public static List<T> Of<T>(this RoutingResult r) where T : RoutingEffect => r.Effects.OfType<T>().ToList();

    public static OfferMade SingleOffer(this RoutingResult r) => Assert.Single(r.Of<OfferMade>());

    public static RoutingResult Ok(this RoutingResult r)
    {
        Assert.True(r.Succeeded, $"{r.ErrorCode}: {r.ErrorMessage}");
        return r;
    }
}
