using System.Globalization;
using Microsoft.AspNetCore.Http.HttpResults;
using SteerServer.Models.Errors;
using SteerServer.Server.Contracts;
using SteerServer.Server.Errors;
using SteerServer.Server.Hosting;

namespace SteerServer.Server.Endpoints;

/// <summary><c>GET /v1/models</c> and <c>/v1/models/{id}</c>, with the layer and head counts a client needs for <c>head_config</c>.</summary>
public static class ModelEndpoints
{
    public static IEndpointRouteBuilder MapModelApi(this IEndpointRouteBuilder app)
    {
        var api = app.MapGroup("/v1/models").WithTags("Models");
        api.MapGet("/", ListModels).WithName("ListModels").WithSummary("The served model");
        api.MapGet("/{**id}", GetModel).WithName("GetModel").WithSummary("One model by id (ids may contain '/')")
            .Produces<ApiErrorBody>(StatusCodes.Status404NotFound);
        return app;
    }

    public static Ok<ModelList> ListModels(ModelHost host) =>
        TypedResults.Ok(new ModelList(host.Ready() is { } m ? [Card(m)] : []));

    public static Ok<ModelCard> GetModel(string id, ModelHost host)
    {
        if (!host.Matches(id)) throw SteerException.ModelNotFound(id);
        return TypedResults.Ok(Card(host.Ready()));
    }

    private static ModelCard Card(ServedModel m) =>
        new(m.Name, m.Created, m.MaxContext, m.Model.Config.NumHiddenLayers, m.Model.Config.NumAttentionHeads, m.Model.Config.NumKeyValueHeads,
            m.Pipeline.Limits.DefaultHeadConfig?.Resolve(m.Pipeline.Limits).ToDictionary(e => e.Key.ToString(CultureInfo.InvariantCulture), e => e.Value));
}
