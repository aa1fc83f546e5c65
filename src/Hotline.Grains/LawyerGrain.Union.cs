using Hotline.Abstractions;
using Hotline.Domain;
using Microsoft.Extensions.Logging;

namespace Hotline.Grains;

/// <summary>Lawyer management by admins and conflicts of interest (issue 12).</summary>
public sealed partial class LawyerGrain
{
    /// <summary>Most conflicts a lawyer may hold (the router checks each offer against them).</summary>
    public const int MaxConflicts = 50;

    public async Task<LawyerView> Update(LawyerUpdate update)
    {
        EnsureExists();
        if (update.Capacity is < 1 or > 10) throw Guard.Validation("capacity must be between 1 and 10");
        var before = state.State.Profile!;
        var conflicts = update.Conflicts is null ? before.Conflicts : Conflicts(update.Conflicts);
        var profile = before with
        {
            DisplayName = update.DisplayName ?? before.DisplayName,
            Skills = update.Skills?.Distinct().ToList() ?? before.Skills,
            Dialects = update.Dialects?.Distinct().ToList() ?? before.Dialects,
            Capacity = update.Capacity ?? before.Capacity,
            Conflicts = conflicts,
            Disabled = update.Disabled ?? before.Disabled,
        };
        state.State.Profile = profile;
        if (update.Capacity is { } capacity) state.State.Capacity = capacity;
        // A disabled lawyer's tokens are refused (version -1); bumping the version keeps them refused after re-enabling.
        if (profile.Disabled && !before.Disabled) state.State.TokenVersion++;
        await state.WriteStateAsync();

        // Disabled (also when it already was: a disable that failed half-way, after the profile was written, is finished by
        // the admin's retry; each of its steps is idempotent).
        if (profile.Disabled) await Disable();
        else await Publish();
        return await GetView();
    }

    public async Task SetPasswordHash(string passwordHash)
    {
        EnsureExists();
        Guard.Text(passwordHash, 512, "passwordHash");
        state.State.Profile = state.State.Profile! with { PasswordHash = passwordHash };
        // Every token issued with the old password stops working.
        state.State.TokenVersion++;
        await state.WriteStateAsync();
    }

    public async Task<LawyerView> DeclareConflict(string employer)
    {
        EnsureExists();
        if (EmployerName.Problem(employer) is { } problem) throw Guard.Validation(problem);
        if (EmployerName.Key(employer) is not { } key) throw Guard.Validation("employer names nobody");
        var profile = state.State.Profile!;
        if (profile.Conflicts.Any(c => EmployerName.Key(c) == key)) return await GetView();
        state.State.Profile = profile with { Conflicts = Conflicts([.. profile.Conflicts, employer]) };
        await state.WriteStateAsync();
        // The router revokes offers that now conflict and hands back active consultations that do (they return to routing).
        await Publish();
        return await GetView();
    }

    /// <summary>Display forms, one per key, in the order given; names that name nobody are refused.</summary>
    private static List<string> Conflicts(IEnumerable<string> names)
    {
        var result = new List<string>();
        var keys = new HashSet<string>(StringComparer.Ordinal);
        foreach (var name in names)
        {
            if (EmployerName.Problem(name) is { } problem) throw Guard.Validation(problem);
            if (EmployerName.Key(name) is not { } key) throw Guard.Validation($"conflict '{name}' names no employer");
            if (keys.Add(key)) result.Add(EmployerName.Display(name)!);
        }
        if (result.Count > MaxConflicts) throw Guard.Validation($"at most {MaxConflicts} conflicts");
        return result;
    }

    /// <summary>Routing keys of the lawyer's conflicts.</summary>
    private IReadOnlyList<string> ConflictKeys() =>
        state.State.Profile!.Conflicts.Select(c => EmployerName.Key(c)).OfType<string>().Distinct(StringComparer.Ordinal).ToList();

    /// <summary>
    /// Closes every connection (the silos holding them abort them: at once on the calling silo, at the next renewal on
    /// others), withdraws the lawyer from routing (offers revoked and re-routed) and returns active consultations to routing.
    /// </summary>
    private async Task Disable()
    {
        var now = time.GetUtcNow();
        foreach (var id in _connections.Keys) _closed[id] = now;
        _connections.Clear();
        _lease?.Dispose();
        _lease = null;
        _grace?.Dispose();
        _grace = null;
        await Publish();
        await Router.LawyerDisconnected(LawyerId);
        var active = await Router.GetActive(LawyerId);
        logger.LogInformation("Lawyer {Lawyer} disabled; {Count} active consultations return to routing", LawyerId, active.Count);
        foreach (var id in active) await GrainFactory.GetGrain<IConsultationGrain>(id).ReturnToQueue(LawyerId);
        if (state.State.GraceDeadline is not null) await CancelGrace();
    }
}
