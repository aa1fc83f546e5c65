using Hotline.Silo.Api;
using Hotline.Silo.Hosting;

var builder = WebApplication.CreateBuilder(args);
builder.AddHotlineSilo();
builder.AddHotlineApi();

var app = builder.Build();
app.MapHotlineApi();
app.Run();

/// <summary>Entry point (public for WebApplicationFactory).</summary>
public partial class Program;
