namespace Pipeline.Fuzz;

/// <summary>
/// Runs every file of a corpus directory through a target in this process, so that the
/// committed corpus and every regression input are checked on each test run without a fuzzer.
/// </summary>
internal static class CorpusReplay
{
    public static int Run(string name, Action<byte[]> target, string directory)
    {
        var files = Directory.Exists(directory) ? Directory.GetFiles(directory) : [];
        if (files.Length == 0)
        {
            Console.Error.WriteLine($"{name}: no inputs in {directory}");
            return 1;
        }

        var failures = 0;
        foreach (var file in files.Order(StringComparer.Ordinal))
        {
            try
            {
                target(File.ReadAllBytes(file));
            }
#pragma warning disable CA1031 // any exception is a finding, reported with its input
            catch (Exception e)
#pragma warning restore CA1031
            {
                failures++;
                Console.Error.WriteLine($"{name}: {Path.GetFileName(file)}: {e.GetType().Name}: {e.Message}");
                Console.Error.WriteLine(e.StackTrace);
            }
        }

        Console.WriteLine($"{name}: {files.Length} inputs, {failures} failed");
        return failures == 0 ? 0 : 1;
    }
}
