using SteerServer.Models.Kernels;

namespace SteerServer.Models.Tests;

public class WeightMatrixTests
{
    [Fact]
    public void MatMul_F32_MatchesScalarReference()
    {
        var rng = new Random(1);
        int rows = 37, cols = 53, n = 3;
        var w = new float[rows * cols];
        var x = new float[n * cols];
        for (int i = 0; i < w.Length; i++) w[i] = (float)(rng.NextDouble() - 0.5);
        for (int i = 0; i < x.Length; i++) x[i] = (float)(rng.NextDouble() - 0.5);
        var y = new float[n * rows];
        WeightMatrix.FromArray(w, rows, cols).MatMul(x, y, n);
        for (int i = 0; i < n; i++)
            for (int r = 0; r < rows; r++)
            {
                double s = 0;
                for (int c = 0; c < cols; c++) s += (double)w[r * cols + c] * x[i * cols + c];
                Assert.True(Math.Abs(s - y[i * rows + r]) < 1e-5, $"y[{i},{r}] = {y[i * rows + r]}, reference {s}");
            }
    }
}
