using System.Text.RegularExpressions;
using YamlDotNet.RepresentationModel;

namespace Hotline.Tools.Tests;

/// <summary>
/// The deployment files keep the security promises of SECURITY.md even though this machine has no Docker engine to run
/// them: every secret is required with no fallback, only nginx (and, in the monitoring profile, Prometheus and Grafana on
/// loopback) is published, Redis and PostgreSQL have passwords, nginx logs no query strings and sends HSTS, and
/// <c>scripts/make-env.sh</c> makes every secret compose asks for in a 0600 file.
/// </summary>
public sealed partial class DeploymentFilesTests
{
    private static readonly string Root = Infra.RepoRoot();
    private static readonly string ComposeText = File.ReadAllText(Path.Combine(Root, "docker-compose.yml"));
    /// <summary>Variables that may have a default: they are not secrets.</summary>
    private static readonly string[] NotSecrets = ["OTEL_EXPORTER_OTLP_ENDPOINT"];

    private static YamlMappingNode Compose()
    {
        var yaml = new YamlStream();
        using var reader = new StringReader(ComposeText);
        yaml.Load(reader);
        return (YamlMappingNode)yaml.Documents[0].RootNode;
    }

    private static YamlMappingNode Map(YamlNode node, string key) => (YamlMappingNode)((YamlMappingNode)node).Children[new YamlScalarNode(key)];
    private static bool Has(YamlNode node, string key) => ((YamlMappingNode)node).Children.ContainsKey(new YamlScalarNode(key));
    /// <summary>The list or map keys at <paramref name="key"/>, looking through a <c>&lt;&lt;: *anchor</c> merge.</summary>
    private static IEnumerable<string> Items(YamlNode node, string key)
        => !Has(node, key) && Has(node, "<<") ? Items(((YamlMappingNode)node).Children[new YamlScalarNode("<<")], key)
        : Has(node, key) ? ((YamlNode)((YamlMappingNode)node).Children[new YamlScalarNode(key)]) switch
        {
            YamlSequenceNode s => s.Children.Select(c => ((YamlScalarNode)c).Value!),
            YamlMappingNode m => m.Children.Keys.Select(k => ((YamlScalarNode)k).Value!),
            var other => throw new InvalidOperationException($"{key}: unexpected {other.NodeType}"),
        } : [];

    [Fact]
    public void Every_secret_is_required_without_a_fallback()
    {
        var uses = Interpolation().Matches(ComposeText).Select(m => (Name: m.Groups[1].Value, Op: m.Groups[2].Value)).ToList();
        Assert.NotEmpty(uses);
        foreach (var (name, op) in uses.Where(u => !NotSecrets.Contains(u.Name)))
            Assert.True(op == ":?", $"${{{name}}} must be required with ':?' (found '{op}'): a missing secret must stop compose, not fall back");
        foreach (var secret in new[] { "HOTLINE_JWT_KEY", "HOTLINE_ADMIN_PASSWORD", "HOTLINE_GATEWAY_KEY", "HOTLINE_PG_PASSWORD", "HOTLINE_REDIS_PASSWORD" })
            Assert.Contains(uses, u => u.Name == secret);
        // No published default password anywhere in the file.
        Assert.DoesNotMatch(new Regex("admin12351|lawyer12351|dev-gateway-key|change-me", RegexOptions.IgnoreCase), Regex.Replace(ComposeText, "#.*", ""));
    }

    [Fact]
    public void Only_nginx_is_published_and_the_backend_is_private()
    {
        var root = Compose();
        var services = Map(root, "services");
        Assert.True(Map(Map(root, "networks"), "backend").Children[new YamlScalarNode("internal")].ToString() == "true", "backend must be internal");
        foreach (var (keyNode, service) in services.Children)
        {
            var name = ((YamlScalarNode)keyNode).Value!;
            var ports = Items(service, "ports").ToList();
            var networks = Items(service, "networks").ToList();
            if (name == "nginx")
            {
                Assert.Contains("8443:443", ports);
                continue;
            }
            if (Items(service, "profiles").Contains("monitoring"))
            {
                // Opt-in operator tools: on loopback only.
                Assert.All(ports, p => Assert.StartsWith("127.0.0.1:", p));
                continue;
            }
            Assert.True(ports.Count == 0, $"{name} publishes {string.Join(", ", ports)}");
            Assert.Equal(["backend"], networks);
        }
        var redis = string.Join(" ", Items(services.Children[new YamlScalarNode("redis")], "command"));
        Assert.Contains("--requirepass ${HOTLINE_REDIS_PASSWORD:?", redis);
        Assert.Contains("POSTGRES_PASSWORD: ${HOTLINE_PG_PASSWORD:?", ComposeText);
    }

    [Fact]
    public void Nginx_terminates_tls_sends_hsts()
    {
        var conf = File.ReadAllText(Path.Combine(Root, "deploy", "nginx.conf"));
        Assert.Contains("ssl_certificate ", conf);
        Assert.Matches("add_header Strict-Transport-Security \"max-age=\\d+", conf);
    }

    [Theory]
    [InlineData("nginx.conf")]
    [InlineData("nginx.local.conf.template")]
    public void Nginx_logs_neither_tokens_nor_client_addresses(string file)
    {
        var conf = File.ReadAllText(Path.Combine(Root, "deploy", file));
        var formats = LogFormat().Matches(conf).ToDictionary(m => m.Groups[1].Value, m => m.Groups[2].Value);
        // Every access log names a format of its own: the default 'combined' logs the query string (the hubs' access_token)
        // and the client's address (the platform keeps only a keyed hash of it).
        var logs = AnyAccessLog().Matches(conf).Select(m => m.Groups[1].Value.Trim()).ToList();
        Assert.NotEmpty(logs);
        foreach (var log in logs.Where(l => l != "off"))
        {
            var name = log.Split(' ', StringSplitOptions.RemoveEmptyEntries).ElementAtOrDefault(1);
            Assert.True(name is not null && formats.ContainsKey(name), $"access_log {log}: no format of this file's own");
            Assert.DoesNotMatch(@"\$(request_uri|request\b|args|query_string|arg_|remote_addr|http_x_forwarded_for|proxy_add_x_forwarded_for)", formats[name!]);
        }
        // nginx writes the whole request line (token included) and the client address into its error entries.
        Assert.Matches(@"(?m)^\s*error_log\s+\S+\s+(crit|alert|emerg)\s*;", conf);
    }

    [Fact]
    public void Make_env_writes_every_required_secret_into_a_private_file_and_never_overwrites()
    {
        var dir = Directory.CreateTempSubdirectory("hotline-env-");
        try
        {
            var env = Path.Combine(dir.FullName, ".env");
            Assert.Equal(0, Run(env, out _));
            if (!OperatingSystem.IsWindows()) Assert.Equal(UnixFileMode.UserRead | UnixFileMode.UserWrite, File.GetUnixFileMode(env));
            var values = File.ReadAllLines(env).Where(l => l.Contains('=') && !l.StartsWith('#'))
                .ToDictionary(l => l[..l.IndexOf('=')], l => l[(l.IndexOf('=') + 1)..]);
            var required = Interpolation().Matches(ComposeText).Where(m => m.Groups[2].Value == ":?").Select(m => m.Groups[1].Value).Distinct();
            foreach (var name in required)
            {
                Assert.True(values.TryGetValue(name, out var v), $".env lacks {name}");
                Assert.True(v.Length >= 16, $"{name} is too short");
            }
            // The host reads the key as UTF-8 text and needs at least 32 bytes of it.
            Assert.True(System.Text.Encoding.UTF8.GetByteCount(values["HOTLINE_JWT_KEY"]) >= 48, "the JWT key is long enough");
            var first = File.ReadAllText(env);
            Assert.NotEqual(0, Run(env, out var error));
            Assert.Contains("not overwriting", error);
            Assert.Equal(first, File.ReadAllText(env));
        }
        finally
        {
            dir.Delete(recursive: true);
        }
    }

    private static int Run(string envPath, out string error)
    {
        var info = new ProcessStartInfo("bash") { RedirectStandardError = true, RedirectStandardOutput = true };
        info.ArgumentList.Add(Path.Combine(Root, "scripts", "make-env.sh"));
        info.ArgumentList.Add(envPath);
        using var p = Process.Start(info)!;
        error = p.StandardError.ReadToEnd();
        p.StandardOutput.ReadToEnd();
        p.WaitForExit();
        return p.ExitCode;
    }

    [GeneratedRegex(@"\$\{([A-Z0-9_]+)(:\?|:-|\?|-)?")]
    private static partial Regex Interpolation();

    [GeneratedRegex(@"log_format\s+(\w+)\s+'([^;]*)';")]
    private static partial Regex LogFormat();

    [GeneratedRegex(@"access_log\s+([^;]+);")]
    private static partial Regex AnyAccessLog();
}
