using Hotline.Silo.Hosting;

var builder = WebApplication.CreateBuilder(args);
// Outside Development, no published default secret may remain (one line per problem, exit code 1).
if (SafeStart.Refuse(builder)) return 1;
builder.AddHotlineSilo();
builder.AddHotlineWeb();

var app = builder.Build();
app.MapHotlineWeb();
app.Run();
return 0;

/// <summary>Entry point (public for WebApplicationFactory).</summary>
public partial class Program;
