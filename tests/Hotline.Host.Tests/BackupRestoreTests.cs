using System.Diagnostics;

namespace Hotline.Host.Tests;

/// <summary>
/// Online backup of the embedded store while the silo runs and a chat goes on, then restore into a fresh data folder:
/// consultations (active and queued), the lawyer, the messages and the workers' tokens are all back.
/// </summary>
public sealed class BackupRestoreTests(ITestOutputHelper output) : ScratchTest("hotline-backup-")
{
    private string Live => Path.Combine(Folder, "live");
    private string Fresh => Path.Combine(Folder, "fresh");
    private string BackupFile => Path.Combine(Folder, "backups", "hotline-backup.db");

    [Fact]
    public async Task Online_backup_restores_consultations_queue_lawyers_and_messages_into_a_fresh_folder()
    {
        var silo = Track(await SiloProcess.StartAsync(Live));
        var rest = new HotlineRest(new HttpClient { BaseAddress = silo.Url });
        var admin = await rest.Login("admin", SiloProcess.AdminPassword);
        await rest.CreateLawyer(admin.Token, "backup.lawyer", "password-123", "备份律师", ["occupational_safety"], ["puxian"], 1);
        var lawyerLogin = await rest.Login("backup.lawyer", "password-123");
        var lawyer = Track(HotlineConnection.Lawyer(silo.Url, lawyerLogin.Token));
        await lawyer.StartAsync();
        await lawyer.Invoke<object?>("SetAvailability", ["available"]);

        var workers = new List<(WorkerToken Token, Consultation Consultation, HotlineConnection Hub)>();
        for (var i = 0; i < 2; i++)
        {
            var token = await rest.CreateWorker($"备份工人{i}");
            var consultation = await rest.OpenConsultation(token.Token, "occupational_safety", "puxian", $"没有防护设备 #{i}");
            var hub = Track(HotlineConnection.Worker(silo.Url, token.Token));
            await hub.StartAsync();
            await hub.JoinConsultation(consultation.Id);
            workers.Add((token, consultation, hub));
        }
        var offer = await lawyer.Offers.WaitAsync();
        await lawyer.AcceptOffer(offer.ConsultationId);
        var active = workers.Single(w => w.Consultation.Id == offer.ConsultationId);
        var queued = workers.Single(w => w.Consultation.Id != offer.ConsultationId);
        await queued.Hub.SendMessage(queued.Consultation.Id, "排队时的消息");

        // A chat keeps going while the backup runs: the backup is taken online.
        var acked = new List<(string Text, long Seq, DateTimeOffset At)>();
        using var stop = new CancellationTokenSource();
        var chat = Task.Run(async () =>
        {
            for (var n = 1; !stop.IsCancellationRequested; n++)
            {
                var (hub, who) = n % 2 == 0 ? (lawyer, "律师") : (active.Hub, "工人");
                var text = $"{who}消息 {n}";
                var ack = await hub.SendMessage(active.Consultation.Id, text);
                lock (acked) acked.Add((text, ack.Seq, DateTimeOffset.UtcNow));
                try { await Task.Delay(20, stop.Token); } catch (OperationCanceledException) { }
            }
        });
        while (Count() < 10) await Task.Delay(50);

        var backupStarted = DateTimeOffset.UtcNow;
        var (code, text) = await RunSilo("backup", BackupFile, "--Hotline:DataPath=" + Live);
        output.WriteLine(text);
        Assert.Equal(0, code);
        var backupEnded = DateTimeOffset.UtcNow;
        while (Count(after: backupEnded) < 5) await Task.Delay(50);
        stop.Cancel();
        await chat;
        List<(string Text, long Seq, DateTimeOffset At)> before;
        lock (acked) before = acked.Where(a => a.At < backupStarted).ToList();
        output.WriteLine($"{acked.Count} messages acknowledged, {before.Count} before the backup began");

        silo.KillHard();

        // A restore refuses a folder that already has a database, then fills a fresh one.
        var (refused, refusal) = await RunSilo("restore", BackupFile, "--Hotline:DataPath=" + Live);
        output.WriteLine(refusal);
        Assert.Equal(1, refused);
        var (restored, restoreText) = await RunSilo("restore", BackupFile, "--Hotline:DataPath=" + Fresh);
        output.WriteLine(restoreText);
        Assert.Equal(0, restored);

        var back = Track(await SiloProcess.StartAsync(Fresh));
        var after = new HotlineRest(new HttpClient { BaseAddress = back.Url });

        // Consultations and their places: the active one with its lawyer, the queued one still waiting.
        var activeView = await after.GetConsultation(active.Token.Token, active.Consultation.Id);
        Assert.Equal("active", activeView.Status);
        Assert.Equal(lawyerLogin.UserId, activeView.AssignedLawyerId);
        var queuedView = await after.GetConsultation(queued.Token.Token, queued.Consultation.Id);
        Assert.Contains(queuedView.Status, new[] { "queued", "offered" });
        Assert.Equal(["排队时的消息"], (await after.GetMessages(queued.Token.Token, queued.Consultation.Id)).Select(m => m.Text));

        // Messages: every one acknowledged before the backup began, seq without gaps.
        var messages = await after.GetMessages(active.Token.Token, active.Consultation.Id, 0, 1000);
        Assert.Equal(Enumerable.Range(1, messages.Count).Select(i => (long)i), messages.Select(m => m.Seq));
        var stored = messages.ToDictionary(m => m.Seq, m => m.Text);
        foreach (var (msg, seq, _) in before)
            Assert.True(stored.TryGetValue(seq, out var t) && t == msg, $"message seq {seq} acknowledged before the backup is missing");

        // Lawyers: the created one logs in with its password and is in the roster (no demo lawyers outside Development).
        var adminAfter = await after.Login("admin", SiloProcess.AdminPassword);
        var roster = await after.GetLawyers(adminAfter.Token);
        Assert.Contains(roster, l => l.Username == "backup.lawyer");
        Assert.Equal(lawyerLogin.UserId, (await after.Login("backup.lawyer", "password-123")).UserId);

        // The queue is live again: the restored lawyer gets the queued consultation once available.
        var lawyerBack = Track(HotlineConnection.Lawyer(back.Url, (await after.Login("backup.lawyer", "password-123")).Token));
        await lawyerBack.StartAsync();
        await lawyerBack.Invoke<object?>("CloseConsultation", [active.Consultation.Id, "answered"]);
        await lawyerBack.Invoke<object?>("SetAvailability", ["available"]);
        await lawyerBack.Offers.WaitAsync(o => o.ConsultationId == queued.Consultation.Id, TimeSpan.FromSeconds(30));

        int Count(DateTimeOffset? after = null) { lock (acked) return acked.Count(a => after is null || a.At > after); }
    }

    /// <summary>Runs the built silo binary with a command (backup / restore); returns its exit code and output.</summary>
    private static async Task<(int Code, string Output)> RunSilo(params string[] args)
    {
        var (dll, projectDir) = SiloProcess.LocateSilo();
        var info = new ProcessStartInfo("dotnet") { WorkingDirectory = projectDir, RedirectStandardOutput = true, RedirectStandardError = true, UseShellExecute = false };
        info.ArgumentList.Add(dll);
        foreach (var a in args) info.ArgumentList.Add(a);
        using var process = Process.Start(info)!;
        var stdout = process.StandardOutput.ReadToEndAsync();
        var stderr = process.StandardError.ReadToEndAsync();
        using var limit = new CancellationTokenSource(TimeSpan.FromMinutes(2));
        await process.WaitForExitAsync(limit.Token);
        return (process.ExitCode, (await stdout) + (await stderr));
    }
}
