using Hotline.Abstractions;
using Hotline.Domain;

namespace Hotline.Silo.Api;

/// <summary>
/// The union-intelligence fields of an intake, the same for the worker page (<c>POST /api/consultations</c>) and the phone
/// gateway (<c>POST /api/hotline/calls</c>): an optional employer (up to <see cref="EmployerName.MaxLength"/> characters) and
/// an optional catalog region.
/// </summary>
public readonly record struct Intake(string? Employer, string? Region)
{
    /// <summary>The employer in display form (null when blank) and the region; <c>validation_failed</c> otherwise.</summary>
    public (string? Employer, string? Region) Validate(Catalog catalog)
    {
        if (EmployerName.Problem(Employer) is { } problem) throw new HotlineException(HotlineException.Codes.Validation, problem);
        var region = string.IsNullOrWhiteSpace(Region) ? null : Region;
        if (region is not null && !catalog.HasRegion(region)) throw new HotlineException(HotlineException.Codes.Validation, "region is not in the catalog");
        return (EmployerName.Display(Employer), region);
    }
}
