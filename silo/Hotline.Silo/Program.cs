using Hotline.Silo.Hosting;

// Operator commands (backup / restore of the embedded store) run instead of the server.
if (DataCommands.IsCommand(args)) return await DataCommands.RunAsync(args);

var builder = WebApplication.CreateBuilder(args);
// Outside Development, no published default secret may remain (one line per problem, exit code 1).
if (SafeStart.Refuse(builder)) return 1;
builder.AddHotlineSilo();
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
