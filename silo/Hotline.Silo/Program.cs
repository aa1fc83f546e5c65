using Hotline.Silo.Hosting;

var builder = WebApplication.CreateBuilder(args);
builder.AddHotlineSilo();
builder.AddHotlineWeb();

var app = builder.Build();
app.MapHotlineWeb();
app.Run();

/// <summary>Entry point (public for WebApplicationFactory).</summary>
public partial class Program;
