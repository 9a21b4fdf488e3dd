using System.Net;
using Microsoft.Extensions.Options;
using Msdn.Graph.Topology;
using Msdn.Probe.Protocol;

namespace Msdn.Probe.Agent;

/// <summary>Checks probe settings at start-up; every message names the setting.</summary>
public sealed class ProbeAgentOptionsValidator : IValidateOptions<ProbeAgentOptions>
{
    public ValidateOptionsResult Validate(string? name, ProbeAgentOptions options)
    {
        ArgumentNullException.ThrowIfNull(options);
        var failures = new List<string>();
        void Fail(string setting, string problem) => failures.Add($"{ProbeAgentOptions.SectionName}:{setting} {problem}");

        if (!RoomId.IsValid(options.Room))
        {
            Fail(nameof(options.Room), $"must be a room id (1-{RoomId.MaxLength} letters, digits, '.', '_', ':', '-'), got '{options.Room}'.");
        }

        if (!TryKey(options.ClusterKey, out var key) || key.Length < ProbeCodec.MinimumKeyLength)
        {
            Fail(nameof(options.ClusterKey), $"must be base64 of at least {ProbeCodec.MinimumKeyLength} bytes.");
        }

        if (!IPEndPoint.TryParse(options.Listen ?? string.Empty, out _))
        {
            Fail(nameof(options.Listen), $"must be an IP endpoint (address:port), got '{options.Listen}'.");
        }

        for (var i = 0; i < (options.Peers?.Count ?? 0); i++)
        {
            var peer = options.Peers![i];
            if (!RoomId.IsValid(peer.Room))
            {
                Fail($"Peers:{i}:Room", $"must be a room id, got '{peer.Room}'.");
            }

            if (!EndpointParser.TryParse(peer.Endpoint, out _))
            {
                Fail($"Peers:{i}:Endpoint", $"must be host:port, got '{peer.Endpoint}'.");
            }
        }

        Positive(nameof(options.BaseInterval), options.BaseInterval);
        Positive(nameof(options.FastInterval), options.FastInterval);
        Positive(nameof(options.ProbeTimeout), options.ProbeTimeout);
        Positive(nameof(options.ReportInterval), options.ReportInterval);
        if (options.MaxProbeTimeout < options.ProbeTimeout)
        {
            Fail(nameof(options.MaxProbeTimeout), $"({options.MaxProbeTimeout}) must not be below ProbeTimeout ({options.ProbeTimeout}).");
        }

        if (options.FastInterval > options.BaseInterval)
        {
            Fail(nameof(options.FastInterval), $"({options.FastInterval}) must not exceed BaseInterval ({options.BaseInterval}).");
        }

        if (!(options.IntervalJitter is >= 0 and < 1))
        {
            Fail(nameof(options.IntervalJitter), $"must be in [0, 1), got {options.IntervalJitter}.");
        }

        if (!(options.UnhealthyLoss is > 0 and <= 1))
        {
            Fail(nameof(options.UnhealthyLoss), $"must be in (0, 1], got {options.UnhealthyLoss}.");
        }

        Positive(nameof(options.BurstWindow), options.BurstWindow);
        if (options.BurstFastProbing < TimeSpan.Zero)
        {
            Fail(nameof(options.BurstFastProbing), $"must not be negative (zero turns loss bursts off), got {options.BurstFastProbing}.");
        }

        if (!(options.BurstFraction is >= 0 and <= 1))
        {
            Fail(nameof(options.BurstFraction), $"must be in [0, 1], got {options.BurstFraction}.");
        }

        AtLeast(nameof(options.BurstLinks), options.BurstLinks, 2);
        AtLeast(nameof(options.DownAfterLosses), options.DownAfterLosses, 1);
        AtLeast(nameof(options.UpAfterSuccesses), options.UpAfterSuccesses, 1);
        AtLeast(nameof(options.LossWindow), options.LossWindow, 1);
        AtLeast(nameof(options.DirectionalLossWindow), options.DirectionalLossWindow, 2);
        AtLeast(nameof(options.RttWindow), options.RttWindow, 1);
        return failures.Count == 0 ? ValidateOptionsResult.Success : ValidateOptionsResult.Fail(failures);

        void Positive(string setting, TimeSpan value)
        {
            if (value <= TimeSpan.Zero)
            {
                Fail(setting, $"must be positive, got {value}.");
            }
        }

        void AtLeast(string setting, int value, int minimum)
        {
            if (value < minimum)
            {
                Fail(setting, $"must be at least {minimum}, got {value}.");
            }
        }
    }

    private static bool TryKey(string value, out byte[] key)
    {
        key = [];
        if (string.IsNullOrEmpty(value))
        {
            return false;
        }

        var buffer = new byte[value.Length];
        if (!Convert.TryFromBase64String(value, buffer, out var written))
        {
            return false;
        }

        key = buffer[..written];
        return true;
    }
}
