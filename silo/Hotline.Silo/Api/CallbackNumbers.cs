using Hotline.Abstractions;

namespace Hotline.Silo.Api;

/// <summary>
/// The caller's number is stored encrypted; the grain hands the ciphertext only to the lawyer the call is assigned to
/// (<see cref="ConsultationView.CallbackNumber"/>), and the web side decrypts it on the way out to that lawyer.
/// </summary>
public static class CallbackNumbers
{
    public static ConsultationView Reveal(this ConsultationView view, IPhoneNumberProtector phones)
        => view.CallbackNumber is { } sealedNumber ? view with { CallbackNumber = phones.Unprotect(sealedNumber) } : view;

    public static JoinResult Reveal(this JoinResult join, IPhoneNumberProtector phones)
        => join.Consultation.CallbackNumber is null ? join : join with { Consultation = join.Consultation.Reveal(phones) };
}
