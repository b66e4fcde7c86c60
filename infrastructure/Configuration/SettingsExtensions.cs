using Microsoft.Extensions.Configuration;

namespace Pipeline.Infrastructure.Configuration;

/// <summary>Binds a configuration section to its settings class.</summary>
public static class SettingsExtensions
{
    /// <summary>Throws the configuration error <paramref name="message"/> unless <paramref name="condition"/> holds.</summary>
    /// <exception cref="InvalidOperationException"><paramref name="condition"/> is false.</exception>
    public static void Require(bool condition, string message)
    {
        if (!condition)
            throw new InvalidOperationException(message);
    }

    /// <summary>Binds <paramref name="section"/> to a new <typeparamref name="T"/>, rejecting unknown keys.</summary>
    /// <exception cref="InvalidOperationException">A key of the section names no setting, or a value does not convert.</exception>
    public static T GetSettings<T>(this IConfiguration configuration, string section) where T : new()
    {
        var settings = new T();
        configuration.GetSection(section).Bind(settings, o => o.ErrorOnUnknownConfiguration = true);
        return settings;
    }
}
