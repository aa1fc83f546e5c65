namespace Hotline.Silo.Api;

/// <summary><c>POST /api/auth/worker</c> body.</summary>
public sealed record WorkerTokenRequest(string? DisplayName, string? Phone);
/// <summary><c>POST /api/auth/worker</c> answer.</summary>
public sealed record WorkerTokenResponse(string WorkerId, string Token);
/// <summary><c>POST /api/auth/renew</c> answer: a fresh token for the same worker, and when it expires.</summary>
public sealed record RenewResponse(string Token, DateTimeOffset ExpiresAt);
/// <summary><c>POST /api/auth/login</c> body.</summary>
public sealed record LoginRequest(string? Username, string? Password);
/// <summary><c>POST /api/auth/login</c> answer.</summary>
public sealed record LoginResponse(string UserId, string Role, string DisplayName, string Token);
/// <summary><c>POST /api/consultations</c> body.</summary>
public sealed record CreateConsultationRequest(string? Category, string? Dialect, string? Summary, string? Channel, string? Employer = null, string? Region = null);
/// <summary><c>POST /api/hotline/calls</c> body.</summary>
public sealed record PhoneCallRequest(string? CallerNumber, string? Category, string? Dialect, bool? Callback = null, string? Employer = null, string? Region = null);
/// <summary><c>POST /api/hotline/calls/{id}/hangup</c> body.</summary>
public sealed record HangupRequest(bool? Callback);
/// <summary>Body of <c>POST /api/admin/consultations/{id}/requeue</c>.</summary>
public sealed record RequeueRequest(string? ToLawyerId);
/// <summary><c>POST /api/admin/lawyers</c> body.</summary>
public sealed record CreateLawyerRequest(string? Username, string? Password, string? DisplayName, IReadOnlyList<string>? Skills, IReadOnlyList<string>? Dialects, int Capacity);
