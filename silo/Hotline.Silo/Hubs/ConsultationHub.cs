using Hotline.Abstractions;
using Hotline.Grains;
using Hotline.Silo.Api;
using Hotline.Silo.Security;
using Microsoft.AspNetCore.SignalR;

namespace Hotline.Silo.Hubs;

/// <summary>What workers and lawyers both do on a consultation: join with replay, send, type. Access is checked by the grain.</summary>
public abstract class ConsultationHub<TClient>(IGrainFactory grains, GrainCalls calls) : Hub<TClient>
    where TClient : class, IConsultationClient
{
    protected IGrainFactory Grains => grains;
    protected GrainCalls Calls => calls;
    /// <summary>The caller, as the hub filter read it from the token at connect time.</summary>
    protected Caller Me => Context.Items.TryGetValue(HubErrorFilter.CallerKey, out var caller) && caller is Caller known ? known : Context.User!.ToCaller();
    /// <summary>Decrypts the caller's number for the assigned lawyer (see <see cref="CallbackNumbers"/>).</summary>
    protected IPhoneNumberProtector Phones => Context.GetHttpContext()!.RequestServices.GetRequiredService<IPhoneNumberProtector>();

    protected IConsultationGrain Consultation(string? consultationId)
    {
        // The connection's last consultation reference is kept: a chat sends to one consultation again and again, and
        // Orleans builds each new reference's proxy through dependency injection, which cost more than the rest of the
        // hub's own work per message (profile in docs/perf-message-path.md, sixth session).
        if (Context.Items.TryGetValue(RefKey, out var kept) && kept is KeptRef last && last.Id == consultationId) return last.Grain;
        var grain = grains.Ref<IConsultationGrain>(ConsultationIds.Validate(consultationId));
        Context.Items[RefKey] = new KeptRef(consultationId!, grain);
        return grain;
    }

    private const string RefKey = "hotline.consultation-ref";

    private sealed record KeptRef(string Id, IConsultationGrain Grain);

    /// <summary>Returns the consultation and every message after <paramref name="afterSeq"/>; events follow on this connection.</summary>
    public async Task<JoinResult> JoinConsultation(string consultationId, long afterSeq)
        => (await calls.RunIdempotent(() => Consultation(consultationId).Join(Me, afterSeq))).Reveal(Phones);

    /// <summary>Answers only after the message is durably stored; a repeated clientMessageId answers the original seq.</summary>
    public Task<MessageAck> SendMessage(string consultationId, string clientMessageId, string text)
    {
        MessageStageLog.Mark(MessageStageLog.Hub, clientMessageId);
        var except = FilesOwnMessages ? Context.ConnectionId : null;
        return MessageStageLog.Completed(calls.RunIdempotent(() => Consultation(consultationId).SendMessage(Me, clientMessageId, text, except)), MessageStageLog.Ack, clientMessageId);
    }

    /// <summary>
    /// The query parameter by which a connection says it files its own messages from the acks (<c>echo=false</c>), so the
    /// <c>Message</c> event of its own sends is not pushed back to it; the sender's other connections still get it.
    /// </summary>
    public const string EchoQuery = "echo";

    private const string EchoKey = "hotline.echo-off";

    private bool FilesOwnMessages
    {
        get
        {
            if (Context.Items.TryGetValue(EchoKey, out var known)) return known is true;
            var off = string.Equals(Context.GetHttpContext()?.Request.Query[EchoQuery].ToString(), "false", StringComparison.OrdinalIgnoreCase);
            Context.Items[EchoKey] = off;
            return off;
        }
    }

    public Task Typing(string consultationId) => calls.Run(() => Consultation(consultationId).Typing(Me));
}
