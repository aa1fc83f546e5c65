using Hotline.Silo.Api;
using Hotline.Silo.Hosting;

var builder = WebApplication.CreateBuilder(args);
// Outside Development, no published default secret may remain (one line per problem, exit code 1).
if (SafeStart.Refuse(builder)) return 1;
builder.AddHotlineSilo();
builder.AddHotlineApi();

var app = builder.Build();
app.MapHotlineApi();
app.Run();
return 0;

/// <summary>Entry point (public for WebApplicationFactory).</summary>
public partial class Program;
