namespace Hotline.Domain;

/// <summary>Lifecycle of a consultation. Transfer and a lawyer's lost grace period return it to <see cref="Queued"/>.</summary>
public enum ConsultationStatus { Queued, Offered, Active, Closed, Abandoned }

/// <summary>A lawyer's availability as the lawyer (or the router, on an offer timeout) sets it.</summary>
public enum LawyerStatus { Available, Away, Offline }

/// <summary>How the worker reached the hotline. A phone call takes a lawyer's full capacity.</summary>
public enum Channel { Web, Phone, Wechat, App }

/// <summary>How a lawyer closed a consultation.</summary>
public enum Resolution { Answered, ReferredMediation, ReferredArbitration, ReferredLegalAid, NoResponse }

/// <summary>Why an offer was withdrawn from a lawyer.</summary>
public enum OfferRevokeReason { Timeout, Taken, Cancelled }

/// <summary>Who wrote a message.</summary>
public enum ParticipantRole { Worker, Lawyer, System, Admin }

/// <summary>What a lawyer's call-back attempt on a phone consultation gave.</summary>
public enum CallOutcome { Reached, NoAnswer }
