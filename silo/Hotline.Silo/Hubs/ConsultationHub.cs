using Hotline.Abstractions;
using Hotline.Silo.Api;
using Microsoft.AspNetCore.SignalR;

namespace Hotline.Silo.Hubs;

/// <summary>What workers and lawyers both do on a consultation: join with replay, send, type. Access is checked by the grain.</summary>
public abstract class ConsultationHub(IGrainFactory grains, GrainCalls calls) : Hub
{
    protected IGrainFactory Grains => grains;
    protected GrainCalls Calls => calls;
    protected Caller Me => Context.User!.ToCaller();

    protected IConsultationGrain Consultation(string? consultationId)
        => grains.GetGrain<IConsultationGrain>(ConsultationIds.Validate(consultationId));

    /// <summary>Returns the consultation and every message after <paramref name="afterSeq"/>; events follow on this connection.</summary>
    public Task<JoinResult> JoinConsultation(string consultationId, long afterSeq)
        => calls.RunIdempotent(() => Consultation(consultationId).Join(Me, afterSeq));

    /// <summary>Answers only after the message is durably stored; a repeated clientMessageId answers the original seq.</summary>
    public Task<MessageAck> SendMessage(string consultationId, string clientMessageId, string text)
        => calls.RunIdempotent(() => Consultation(consultationId).SendMessage(Me, clientMessageId, text));

    public Task Typing(string consultationId) => calls.Run(() => Consultation(consultationId).Typing(Me));
}

/// <summary>Consultation ids: <c>c-</c> and 32 hex digits. Anything else is refused before a grain is touched.</summary>
public static class ConsultationIds
{
    public static string New() => "c-" + Guid.NewGuid().ToString("N");

    public static string Validate(string? id)
    {
        if (id is null || id.Length != 34 || !id.StartsWith("c-", StringComparison.Ordinal) || !id.AsSpan(2).ContainsOnlyHex())
            throw new HotlineException(HotlineException.Codes.Validation, "consultationId is malformed");
        return id;
    }

    private static bool ContainsOnlyHex(this ReadOnlySpan<char> s)
    {
        foreach (var c in s) if (!char.IsAsciiHexDigitLower(c) && !char.IsAsciiDigit(c)) return false;
        return true;
    }
}
