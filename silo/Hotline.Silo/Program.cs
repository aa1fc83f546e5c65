using Hotline.Silo.Hosting;

// Operator commands (backup / restore of the embedded store) run instead of the server.
if (DataCommands.IsCommand(args)) return await DataCommands.RunAsync(args);

var builder = WebApplication.CreateBuilder(args);
// Refuses to start, one line per problem (exit code 1): outside Development, a published default secret; in any
// environment, Hotline:Mode silo or front without cluster mode, or an unknown mode.
if (SafeStart.Refuse(builder)) return 1;
// Hotline:Mode: combined (silo + web, default), silo (grains; HTTP only for health), front (cluster client + web).
var settings = builder.AddHotlineSettings();
if (settings.RunsGrains) builder.AddHotlineSilo();
else builder.AddHotlineClient();
builder.AddHotlineWeb();
builder.AddGracefulShutdown();
builder.AddHotlineTelemetry();

var app = builder.Build();
app.MapHotlineWeb();
app.MapHotlineTelemetry();
app.Run();
return 0;

/// <summary>Entry point (public for WebApplicationFactory).</summary>
public partial class Program;
