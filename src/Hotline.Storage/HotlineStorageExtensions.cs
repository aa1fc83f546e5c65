using Hotline.Abstractions;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.DependencyInjection.Extensions;
using Microsoft.Extensions.Logging;
using Orleans;
using Orleans.Hosting;
using Orleans.Providers;
using Orleans.Runtime;
using Orleans.Storage;

namespace Hotline.Storage;

/// <summary>Registration of the hotline's storage in a silo or any service collection.</summary>
public static class HotlineStorageExtensions
{
    /// <summary>
    /// Registers <see cref="HotlineGrainStorage"/> as the default grain storage ("Default") and as the named provider
    /// <see cref="HotlineStorageOptions.ProviderName"/> ("hotline"), <see cref="IMessageStore"/>, and the schema
    /// migration at silo start (<see cref="ServiceLifecycleStage.RuntimeInitialize"/>, before any grain runs), and
    /// Orleans reminders on <see cref="HotlineReminderTable"/> (durable deadlines in the same database).
    /// </summary>
    public static ISiloBuilder AddHotlineStorage(this ISiloBuilder builder, HotlineStorageOptions options)
    {
        ArgumentNullException.ThrowIfNull(builder);
        builder.Services.AddHotlineMessageStore(options);
        builder.Services.AddHotlineGrainStorage();
        builder.AddReminders();
        builder.Services.AddSingleton<HotlineReminderTable>();
        builder.Services.AddSingleton<IReminderTable>(sp => sp.GetRequiredService<HotlineReminderTable>());
        builder.Services.AddSingleton<ILifecycleParticipant<ISiloLifecycle>, HotlineSchemaMigrator>();
        return builder;
    }

    /// <summary>
    /// Registers the <see cref="HotlineDatabase"/> and <see cref="IMessageStore"/> (<see cref="SqlMessageStore"/>)
    /// only, e.g. for a process that reads messages without hosting a silo. The schema is migrated on first use.
    /// </summary>
    public static IServiceCollection AddHotlineMessageStore(this IServiceCollection services, HotlineStorageOptions options)
    {
        ArgumentNullException.ThrowIfNull(services);
        ArgumentNullException.ThrowIfNull(options);
        services.TryAddSingleton(options);
        services.TryAddSingleton(sp => new HotlineDatabase(
            sp.GetRequiredService<HotlineStorageOptions>(),
            sp.GetService<ILogger<HotlineDatabase>>(),
            sp.GetService<TimeProvider>()));
        services.TryAddSingleton<SqlMessageStore>();
        services.TryAddSingleton<IMessageStore>(sp => sp.GetRequiredService<SqlMessageStore>());
        services.TryAddSingleton<IRouterJournal>(sp => new SqlRouterJournal(sp.GetRequiredService<HotlineDatabase>()));
        services.TryAddSingleton<IOpenConsultationStore>(sp => new SqlOpenConsultationStore(sp.GetRequiredService<HotlineDatabase>()));
        services.TryAddSingleton<IRetentionIndex>(sp => new SqlRetentionIndex(sp.GetRequiredService<HotlineDatabase>()));
        services.TryAddSingleton<IAuditStore>(sp => new SqlAuditStore(sp.GetRequiredService<HotlineDatabase>()));
        return services;
    }

    private static void AddHotlineGrainStorage(this IServiceCollection services)
    {
        services.TryAddSingleton<HotlineGrainStorage>();
        // Orleans resolves named storage as a keyed IGrainStorage; "Default" is used by grains without a name.
        services.AddKeyedSingleton<IGrainStorage>(HotlineStorageOptions.ProviderName, (sp, _) => sp.GetRequiredService<HotlineGrainStorage>());
        services.AddKeyedSingleton<IGrainStorage>(ProviderConstants.DEFAULT_STORAGE_PROVIDER_NAME, (sp, _) => sp.GetRequiredService<HotlineGrainStorage>());
        services.TryAddSingleton<IGrainStorage>(sp => sp.GetRequiredService<HotlineGrainStorage>());
        services.TryAddSingleton<IGrainStateCatalog>(sp => sp.GetRequiredService<HotlineGrainStorage>());
    }
}

/// <summary>Applies the schema migrations when the silo starts, before grains and their storage are used.</summary>
internal sealed class HotlineSchemaMigrator(HotlineDatabase database, ILogger<HotlineSchemaMigrator>? logger = null) : ILifecycleParticipant<ISiloLifecycle>
{
    public void Participate(ISiloLifecycle lifecycle) =>
        lifecycle.Subscribe(nameof(HotlineSchemaMigrator), ServiceLifecycleStage.RuntimeInitialize, async ct =>
        {
            logger?.LogInformation("Hotline storage: migrating {Target}", database.Description);
            await database.EnsureSchemaAsync(ct);
        });
}
