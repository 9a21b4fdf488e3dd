using Msdn.Overlay.Control;

namespace Msdn.Load;

/// <summary>
/// Every room's measured links, moving each second as measured links do: each RTT wanders around its base
/// (mean-reverting noise of about 1 %, which now and then crosses the 2 % drift threshold), and a share of links
/// jump each second (the underlay rerouted: the base moves by −20 % to +25 %, and loss spikes to 1–5 % or clears).
/// Seeded: the same world every run.
/// </summary>
internal sealed class DriftingLinks
{
    private readonly int _rooms;
    private readonly double _jumpShare;
    private readonly Random _random;
    private readonly double[,] _base;
    private readonly double[,] _noise;
    private readonly double[,] _loss;

    public DriftingLinks(int rooms, double jumpShare, int seed = 1)
    {
        _rooms = rooms;
        _jumpShare = jumpShare;
        _random = new Random(seed);
        var places = Enumerable.Range(0, rooms).Select(_ => (X: _random.NextDouble() * 150, Y: _random.NextDouble() * 100)).ToArray();
        _base = new double[rooms, rooms];
        _noise = new double[rooms, rooms];
        _loss = new double[rooms, rooms];
        for (var i = 0; i < rooms; i++)
        {
            for (var j = 0; j < rooms; j++)
            {
                var distance = Math.Sqrt(Math.Pow(places[i].X - places[j].X, 2) + Math.Pow(places[i].Y - places[j].Y, 2));
                _base[i, j] = (2 + distance) * (_random.NextDouble() < 0.1 ? 1.5 : 1.0); // some paths are worse than a detour
            }
        }
    }

    /// <summary>Links that jumped in the last <see cref="Advance"/>.</summary>
    public int Jumped { get; private set; }

    /// <summary>One second passes.</summary>
    public void Advance()
    {
        Jumped = 0;
        if (_jumpShare <= 0)
        {
            return; // links that hold still (the benchmark's old regime)
        }

        for (var i = 0; i < _rooms; i++)
        {
            for (var j = 0; j < _rooms; j++)
            {
                if (i == j)
                {
                    continue;
                }

                _noise[i, j] = (0.9 * _noise[i, j]) + (0.005 * Gaussian());
                if (_random.NextDouble() < _jumpShare)
                {
                    Jumped++;
                    _base[i, j] *= 0.8 + (_random.NextDouble() * 0.45);
                    _loss[i, j] = _loss[i, j] > 0 || _random.NextDouble() < 0.5 ? 0 : 0.01 + (_random.NextDouble() * 0.04);
                }
            }
        }
    }

    /// <summary>What room <paramref name="room"/>'s probe agent sees now, link by link.</summary>
    public IEnumerable<(string Peer, LinkReading Reading)> Readings(int room)
    {
        for (var j = 0; j < _rooms; j++)
        {
            if (j != room)
            {
                yield return (World.Room(j), new LinkReading(Math.Round(_base[room, j] * (1 + _noise[room, j]), 2), 0.5, _loss[room, j], null, true));
            }
        }
    }

    private double Gaussian() => Math.Sqrt(-2 * Math.Log(1 - _random.NextDouble())) * Math.Cos(2 * Math.PI * _random.NextDouble());
}
