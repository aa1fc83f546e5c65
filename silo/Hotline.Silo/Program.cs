using Hotline.Silo.Hosting;

var builder = WebApplication.CreateBuilder(args);
// Hotline:Mode: combined (silo + web, default), silo (grains; HTTP only for health), front (cluster client + web).
var settings = builder.AddHotlineSettings();
if (settings.RunsGrains) builder.AddHotlineSilo();
else builder.AddHotlineClient();
builder.AddHotlineWeb();

var app = builder.Build();
app.MapHotlineWeb();
app.Run();

/// <summary>Entry point (public for WebApplicationFactory).</summary>
public partial class Program;
