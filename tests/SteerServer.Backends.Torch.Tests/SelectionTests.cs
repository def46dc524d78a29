using SteerServer.Models.Errors;
using SteerServer.Models.Inference;
using SteerServer.Models.Kernels;
using SteerServer.TestData;

namespace SteerServer.Backends.Torch.Tests;

/// <summary><c>--backend torch --device … --dtype …</c>: what loads, and the errors that name the bad option.</summary>
public class SelectionTests
{
    [Theory]
    [InlineData("tpu", null, "device")]
    [InlineData("cuda:x", null, "device")]
    [InlineData("cuda", null, "device")] // this build carries libtorch's CPU runtime: no CUDA device, whatever the machine has
    [InlineData("cpu", DType.Q8_0, "dtype")]
    public void BadDeviceOrDType_IsInvalidRequest_NamingTheOption(string device, DType? dtype, string param)
    {
        var options = TorchModels.Options(dtype) with { Device = device };
        var e = Assert.Throws<SteerException>(() => Model.Load(TestDataPaths.Models("stories260K"), options));
        Assert.Equal(ErrorKind.InvalidRequest, e.Kind);
        Assert.Equal(param, e.Param);
    }

    [Fact]
    public void FoundByName_AndDescribesItself()
    {
        Assert.Equal("torch", BackendFactories.Get("torch").Name);
        var info = TorchModels.Get("stories260K").Backend.Info;
        Assert.Equal(new BackendInfo("torch", "cpu", "f32", CanCaptureAttention: true), info);
    }
}
