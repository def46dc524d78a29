# SteerServer: multi-stage build (SDK → ASP.NET runtime), non-root, models on a volume.
# Not built in this repository's CI (no Docker engine there); `docker build -t steerserver .` from the repo root.
# VARIANT=gpu builds the GPU image: the torch backend with TorchSharp-cuda-linux (libtorch CUDA 12.8), published
# self-contained onto an NVIDIA CUDA runtime base (Ubuntu 24.04, whose libstdc++ needs no loader fix):
#   docker build --build-arg VARIANT=gpu -t steerserver:gpu .   then run with --gpus all (README, "Running on a GPU").
ARG VARIANT=cpu

FROM mcr.microsoft.com/dotnet/sdk:10.0 AS build
ARG VARIANT
WORKDIR /src
COPY Directory.Build.props SteerServer.sln ./
COPY src/ src/
RUN if [ "$VARIANT" = gpu ]; then \
      dotnet publish src/Server/SteerServer.Server.csproj -c Release -o /app -r linux-x64 --self-contained \
        -p:Backends=torch -p:TorchRuntime=cuda -p:TorchLoaderFix=false; \
    else \
      dotnet publish src/Server/SteerServer.Server.csproj -c Release -o /app --no-self-contained; \
    fi

FROM mcr.microsoft.com/dotnet/aspnet:10.0 AS base-cpu
FROM nvidia/cuda:12.8.1-cudnn-runtime-ubuntu24.04 AS base-gpu
# The self-contained app brings its own .NET runtime; CUDA and cuDNN come from the base.
ENV NVIDIA_VISIBLE_DEVICES=all \
    NVIDIA_DRIVER_CAPABILITIES=compute,utility

FROM base-${VARIANT} AS runtime
# curl for the HEALTHCHECK only.
RUN apt-get update && apt-get install -y --no-install-recommends curl && rm -rf /var/lib/apt/lists/*
RUN useradd --uid 10001 --create-home steer && mkdir -p /models /hf-cache && chown steer /models /hf-cache
WORKDIR /app
COPY --from=build /app .
USER 10001
# Models: mount a Hugging Face model directory at /models/<name>, or give an HF id (downloaded into HF_HOME).
ENV HF_HOME=/hf-cache \
    ASPNETCORE_URLS=http://0.0.0.0:8080 \
    DOTNET_gcServer=0
VOLUME ["/models", "/hf-cache"]
EXPOSE 8080
HEALTHCHECK --interval=15s --timeout=3s --start-period=60s --retries=3 CMD curl -fsS http://127.0.0.1:8080/health || exit 1
# The app host (./SteerServer) runs both variants: framework-dependent on the ASP.NET base, self-contained on CUDA.
ENTRYPOINT ["./SteerServer", "serve"]
