using Hotline.Silo.Hosting;

var builder = WebApplication.CreateBuilder(args);
// Refuses to start, one line per problem (exit code 1): outside Development, a published default secret; in any
// environment, Hotline:Mode silo or front without cluster mode, or an unknown mode.
if (SafeStart.Refuse(builder)) return 1;
// Hotline:Mode: combined (silo + web, default), silo (grains; HTTP only for health), front (cluster client + web).
var settings = builder.AddHotlineSettings();
if (settings.RunsGrains) builder.AddHotlineSilo();
else builder.AddHotlineClient();
builder.AddHotlineWeb();

var app = builder.Build();
app.MapHotlineWeb();
app.Run();
return 0;

/// <summary>Entry point (public for WebApplicationFactory).</summary>
public partial class Program;
