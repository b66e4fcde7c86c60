// These tests run real Linux programs (swaks, smtp-sink, PostgreSQL, RabbitMQ).
[assembly: System.Runtime.Versioning.SupportedOSPlatform("linux")]
