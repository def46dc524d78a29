# SteerServer: multi-stage build (SDK → ASP.NET runtime), non-root, models on a volume.
# Not built in this repository's CI (no Docker engine there); `docker build -t steerserver .` from the repo root.
FROM mcr.microsoft.com/dotnet/sdk:10.0 AS build
WORKDIR /src
COPY Directory.Build.props SteerServer.sln ./
COPY src/ src/
RUN dotnet publish src/Server/SteerServer.Server.csproj -c Release -o /app --no-self-contained

FROM mcr.microsoft.com/dotnet/aspnet:10.0 AS runtime
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
ENTRYPOINT ["dotnet", "SteerServer.dll", "serve"]
