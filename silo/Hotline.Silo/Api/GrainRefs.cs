using Orleans.Runtime;

namespace Hotline.Silo.Api;

/// <summary>
/// Grain references for the per-call paths (hub calls, the token check). Orleans' <c>GetGrain&lt;T&gt;(key)</c> resolves
/// the interface's grain type on every call, reading its custom attributes by reflection; the message path's profile
/// showed that as a visible share of a hub call. The two types are resolved once per interface here, then a reference
/// is made from its id directly (<see cref="IGrainFactory.GetGrain(GrainId, GrainInterfaceType)"/>).
/// </summary>
public static class GrainRefs
{
    /// <summary>The grain of interface <typeparamref name="T"/> with string key <paramref name="key"/>, as <c>GetGrain&lt;T&gt;(key)</c>.</summary>
    public static T Ref<T>(this IGrainFactory grains, string key) where T : IGrainWithStringKey
    {
        // The types depend only on the interface and the grain classes loaded, the same for every host of the process.
        var types = Types<T>.Resolved ??= Resolve<T>(grains);
        return (T)grains.GetGrain(GrainId.Create(types.Type, key), types.InterfaceType);
    }

    private static ResolvedTypes Resolve<T>(IGrainFactory grains) where T : IGrainWithStringKey
    {
        var sample = (GrainReference)(object)grains.GetGrain<T>("type-probe");
        return new ResolvedTypes(sample.GrainId.Type, sample.InterfaceType);
    }

    // A class, so that publishing it is one atomic reference write.
    private sealed record ResolvedTypes(GrainType Type, GrainInterfaceType InterfaceType);

    private static class Types<T>
    {
        public static ResolvedTypes? Resolved;
    }
}
