using System.Diagnostics;
using System.Globalization;

namespace SteerServer.Steering.Profiling;

/// <summary>
/// The progress line on stderr: heads done / total, rate, ETA. At most one update per <see cref="Interval"/>
/// (and always the last); on a terminal the line is redrawn in place with <c>\r</c>, otherwise one line per update.
/// The rate counts only heads measured in this run, so a resumed run's ETA is not flattered by skipped heads.
/// </summary>
public sealed class ProfileProgress
{
    private readonly TextWriter writer;
    private readonly bool inPlace;
    private readonly Stopwatch clock = new();
    private TimeSpan lastWrite = TimeSpan.MinValue;
    private int total, resumed, examples;

    public ProfileProgress(TextWriter writer, bool inPlace)
    {
        this.writer = writer;
        this.inPlace = inPlace;
    }

    public TimeSpan Interval { get; init; } = TimeSpan.FromSeconds(1);

    /// <summary>Heads measured so far in this run.</summary>
    public int Measured { get; private set; }

    public TimeSpan Elapsed => clock.Elapsed;

    public void Start(int totalHeads, int resumedHeads, int examplesPerHead)
    {
        total = totalHeads;
        resumed = resumedHeads;
        examples = examplesPerHead;
        Measured = 0;
        clock.Restart();
        if (resumedHeads > 0)
            writer.WriteLine($"profile: resuming, {resumedHeads}/{totalHeads} heads already in the score file");
        Write(force: true);
    }

    public void HeadDone(int layer, int head)
    {
        Measured++;
        Write(force: resumed + Measured == total, $" | last L{layer}H{head}");
    }

    /// <summary>Ends the in-place line.</summary>
    public void Finish()
    {
        Write(force: true);
        if (inPlace) writer.WriteLine();
        writer.Flush();
    }

    private void Write(bool force, string suffix = "")
    {
        var now = clock.Elapsed;
        if (!force && now - lastWrite < Interval) return;
        lastWrite = now;
        int done = resumed + Measured;
        double seconds = Math.Max(now.TotalSeconds, 1e-9);
        double rate = Measured / seconds;
        string eta = Measured > 0 ? Format(TimeSpan.FromSeconds((total - done) / rate)) : "?";
        string line = string.Create(CultureInfo.InvariantCulture,
            $"profile: heads {done}/{total} ({100.0 * done / Math.Max(total, 1):F1}%) | {rate:F2} heads/s, {rate * examples:F1} head-examples/s | elapsed {Format(now)}, ETA {eta}{suffix}");
        if (inPlace) writer.Write("\r" + line.PadRight(100));
        else writer.WriteLine(line);
        writer.Flush();
    }

    private static string Format(TimeSpan t) =>
        t.TotalHours >= 1 ? t.ToString(@"h\:mm\:ss", CultureInfo.InvariantCulture) : t.ToString(@"m\:ss", CultureInfo.InvariantCulture);
}
