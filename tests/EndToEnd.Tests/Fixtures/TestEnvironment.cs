namespace Pipeline.EndToEnd.Tests.Fixtures;

/// <summary>
/// What ./test.sh provides: a PostgreSQL and a RabbitMQ server it started, and Postfix's
/// smtp-sink unpacked. A test that runs without them fails and says so; it never skips.
/// </summary>
public static class TestEnvironment
{
    public static string Postgres => Require("PIPELINE_TEST_POSTGRES");

    public static string RabbitMqHost => Require("PIPELINE_TEST_RABBITMQ").Split(':')[0];

    public static int RabbitMqPort => int.Parse(Require("PIPELINE_TEST_RABBITMQ").Split(':')[1]);

    public static string PostfixRoot => Require("PIPELINE_TEST_POSTFIX");

    /// <summary>The repository's root, found from the test binary's folder.</summary>
    public static string RepositoryRoot { get; } = FindRoot();

    /// <summary>The pipeline executable, built in the same configuration as the tests.</summary>
    public static string PipelineDll => Built("host", "pipeline.dll");

    /// <summary>The operator's tool, built in the same configuration as the tests.</summary>
    public static string PipelineCtlDll => Built(Path.Combine("tools", "pipelinectl"), "pipelinectl.dll");

    private static string Built(string project, string file)
    {
#if DEBUG
        const string configuration = "Debug";
#else
        const string configuration = "Release";
#endif
        var path = Path.Combine(RepositoryRoot, project, "bin", configuration, "net10.0", file);
        return File.Exists(path) ? path : throw new InvalidOperationException($"{path} is missing: build the solution first");
    }

    private static string Require(string name) =>
        Environment.GetEnvironmentVariable(name) is { Length: > 0 } value
            ? value
            : throw new InvalidOperationException($"{name} is not set: run the tests with ./test.sh, which starts the servers they need");

    private static string FindRoot()
    {
        for (var dir = new DirectoryInfo(AppContext.BaseDirectory); dir is not null; dir = dir.Parent)
        {
            if (File.Exists(Path.Combine(dir.FullName, "Pipeline.sln")))
                return dir.FullName;
        }

        throw new InvalidOperationException("Pipeline.sln not found above " + AppContext.BaseDirectory);
    }
}
