using System.Numerics;
using System.Runtime.CompilerServices;
using System.Runtime.InteropServices;

namespace Msdn.Graph.Routing;

/// <summary>
/// All-pairs least costs over a dense row-major matrix (padded rows, +infinity for no link, 0 on the
/// diagonal), in place. <see cref="Run"/> is the blocked form: for each block of k, the diagonal tile,
/// then its row and column of tiles, then every other tile, which is a pure min-plus product of two
/// finished tiles and so runs in a register-tiled kernel (4 rows × 2 vectors of accumulators, no stores
/// inside the k loop). <see cref="Reference"/> is the textbook triple loop; tests check both agree.
/// </summary>
internal static class FloydWarshall
{
    /// <summary>Tile edge (a multiple of the vector width): a 64×64 tile of floats is 16 KiB.</summary>
    private const int Block = 64;

    public static void Run(float[] dist, int n, int stride, int parallelism = 1)
    {
        var blocks = (n + Block - 1) / Block;
        for (var kb = 0; kb < blocks; kb++)
        {
            Relax(dist, n, stride, kb, kb, kb);

            // Round kb's row and column of tiles each read only the diagonal tile and themselves.
            Workers.ForRanges(2 * blocks, parallelism, (from, to) =>
            {
                for (var item = from; item < to; item++)
                {
                    var b = item / 2;
                    if (b != kb)
                    {
                        if (item % 2 == 0)
                        {
                            Relax(dist, n, stride, kb, b, kb);
                        }
                        else
                        {
                            Relax(dist, n, stride, b, kb, kb);
                        }
                    }
                }
            });

            // The rest of round kb reads only the tiles finished above and writes each tile apart: tiles split among threads.
            Workers.ForRanges(blocks * blocks, parallelism, (from, to) =>
            {
                for (var tile = from; tile < to; tile++)
                {
                    int ib = tile / blocks, jb = tile % blocks;
                    if (ib != kb && jb != kb)
                    {
                        MinPlus(dist, n, stride, ib, jb, kb);
                    }
                }
            });
        }
    }

    public static void Reference(float[] dist, int n, int stride)
    {
        for (var k = 0; k < n; k++)
        {
            for (var i = 0; i < n; i++)
            {
                var dik = dist[(i * stride) + k];
                for (var j = 0; j < n; j++)
                {
                    var candidate = dik + dist[(k * stride) + j];
                    if (candidate < dist[(i * stride) + j])
                    {
                        dist[(i * stride) + j] = candidate;
                    }
                }
            }
        }
    }

    private static (int Start, int End) Rows(int block, int n) => (block * Block, Math.Min((block + 1) * Block, n));

    /// <summary>The last column tile runs into the row padding, so vector loops never need a tail.</summary>
    private static (int Start, int End) Columns(int block, int n, int stride)
    {
        var end = Math.Min((block + 1) * Block, n);
        return (block * Block, end == n ? stride : end);
    }

    /// <summary>Textbook update of tile (ib, jb) over the k of block kb, k in order (the tile may feed itself).</summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)] // hot from the first call: a server must not run it quick-jitted
    private static void Relax(float[] dist, int n, int stride, int ib, int jb, int kb)
    {
        var width = Vector<float>.Count;
        var (i0, i1) = Rows(ib, n);
        var (k0, k1) = Rows(kb, n);
        var (j0, j1) = Columns(jb, n, stride);
        ref var d0 = ref MemoryMarshal.GetArrayDataReference(dist);
        for (var k = k0; k < k1; k++)
        {
            var rowK = (nuint)(k * stride);
            for (var i = i0; i < i1; i++)
            {
                var rowI = (nuint)(i * stride);
                var dik = dist[(int)rowI + k];
                if (float.IsPositiveInfinity(dik))
                {
                    continue;
                }

                var viaK = new Vector<float>(dik);
                for (var j = (nuint)j0; j < (nuint)j1; j += (nuint)width)
                {
                    var current = Vector.LoadUnsafe(ref d0, rowI + j);
                    Vector.MinNative(current, viaK + Vector.LoadUnsafe(ref d0, rowK + j)).StoreUnsafe(ref d0, rowI + j);
                }
            }
        }
    }

    /// <summary>Tile (ib, jb) = min(tile, column tile (ib, kb) ⊗ row tile (kb, jb)); both inputs are final.</summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)] // hot from the first call: a server must not run it quick-jitted
    private static void MinPlus(float[] dist, int n, int stride, int ib, int jb, int kb)
    {
        var width = Vector<float>.Count;
        var (i0, i1) = Rows(ib, n);
        var (k0, k1) = Rows(kb, n);
        var (j0, j1) = Columns(jb, n, stride);
        ref var d0 = ref MemoryMarshal.GetArrayDataReference(dist);
        var i = i0;
        for (; i + 4 <= i1; i += 4)
        {
            var j = j0;
            for (; j + (2 * width) <= j1; j += 2 * width)
            {
                Kernel4x2(ref d0, stride, i, j, k0, k1);
            }

            for (; j < j1; j += width)
            {
                for (var r = 0; r < 4; r++)
                {
                    Kernel1x1(ref d0, stride, i + r, j, k0, k1);
                }
            }
        }

        for (; i < i1; i++)
        {
            for (var j = j0; j < j1; j += width)
            {
                Kernel1x1(ref d0, stride, i, j, k0, k1);
            }
        }
    }

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static void Kernel4x2(ref float d0, int stride, int i, int j, int k0, int k1)
    {
        var width = (nuint)Vector<float>.Count;
        nuint r0 = (nuint)(i * stride), r1 = r0 + (nuint)stride, r2 = r1 + (nuint)stride, r3 = r2 + (nuint)stride;
        var col = (nuint)j;
        Vector<float> a00 = Vector.LoadUnsafe(ref d0, r0 + col), a01 = Vector.LoadUnsafe(ref d0, r0 + col + width);
        Vector<float> a10 = Vector.LoadUnsafe(ref d0, r1 + col), a11 = Vector.LoadUnsafe(ref d0, r1 + col + width);
        Vector<float> a20 = Vector.LoadUnsafe(ref d0, r2 + col), a21 = Vector.LoadUnsafe(ref d0, r2 + col + width);
        Vector<float> a30 = Vector.LoadUnsafe(ref d0, r3 + col), a31 = Vector.LoadUnsafe(ref d0, r3 + col + width);
        for (var k = k0; k < k1; k++)
        {
            var rowK = (nuint)(k * stride) + col;
            var b0 = Vector.LoadUnsafe(ref d0, rowK);
            var b1 = Vector.LoadUnsafe(ref d0, rowK + width);
            var x = new Vector<float>(Unsafe.Add(ref d0, r0 + (nuint)k));
            a00 = Vector.MinNative(a00, x + b0);
            a01 = Vector.MinNative(a01, x + b1);
            x = new Vector<float>(Unsafe.Add(ref d0, r1 + (nuint)k));
            a10 = Vector.MinNative(a10, x + b0);
            a11 = Vector.MinNative(a11, x + b1);
            x = new Vector<float>(Unsafe.Add(ref d0, r2 + (nuint)k));
            a20 = Vector.MinNative(a20, x + b0);
            a21 = Vector.MinNative(a21, x + b1);
            x = new Vector<float>(Unsafe.Add(ref d0, r3 + (nuint)k));
            a30 = Vector.MinNative(a30, x + b0);
            a31 = Vector.MinNative(a31, x + b1);
        }

        a00.StoreUnsafe(ref d0, r0 + col);
        a01.StoreUnsafe(ref d0, r0 + col + width);
        a10.StoreUnsafe(ref d0, r1 + col);
        a11.StoreUnsafe(ref d0, r1 + col + width);
        a20.StoreUnsafe(ref d0, r2 + col);
        a21.StoreUnsafe(ref d0, r2 + col + width);
        a30.StoreUnsafe(ref d0, r3 + col);
        a31.StoreUnsafe(ref d0, r3 + col + width);
    }

    [MethodImpl(MethodImplOptions.AggressiveOptimization)] // hot from the first call: a server must not run it quick-jitted
    private static void Kernel1x1(ref float d0, int stride, int i, int j, int k0, int k1)
    {
        var rowI = (nuint)(i * stride);
        var acc = Vector.LoadUnsafe(ref d0, rowI + (nuint)j);
        for (var k = k0; k < k1; k++)
        {
            acc = Vector.MinNative(acc, new Vector<float>(Unsafe.Add(ref d0, rowI + (nuint)k)) + Vector.LoadUnsafe(ref d0, (nuint)(k * stride) + (nuint)j));
        }

        acc.StoreUnsafe(ref d0, rowI + (nuint)j);
    }
}
