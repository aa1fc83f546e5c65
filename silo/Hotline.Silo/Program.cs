using Hotline.Silo.Hosting;

// Operator commands (backup / restore of the embedded store) run instead of the server.
if (DataCommands.IsCommand(args))
{
    Environment.ExitCode = await DataCommands.RunAsync(args);
    return;
}

var builder = WebApplication.CreateBuilder(args);
builder.AddHotlineSilo();
builder.AddHotlineWeb();
builder.AddGracefulShutdown();
builder.AddHotlineTelemetry();

var app = builder.Build();
app.MapHotlineWeb();
app.MapHotlineTelemetry();
app.Run();

/// <summary>Entry point (public for WebApplicationFactory).</summary>
public partial class Program;
