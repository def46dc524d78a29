// Offline checks of the Kubernetes manifests: every document against the Kubernetes API schema (kubernetes-models'
// generated validators), then the rules `kubectl apply -f deploy/` needs to come up on a real cluster.
// Usage: node check.mjs DIR   (exits 1 listing every problem)
import { readdirSync, readFileSync, statSync } from "node:fs";
import { join } from "node:path";
import { parseAllDocuments } from "yaml";

const root = process.argv[2] ?? "../../deploy";
const problems = [];
const files = (function walk(dir) {
  return readdirSync(dir).flatMap(name => {
    const path = join(dir, name);
    return statSync(path).isDirectory() ? walk(path) : /\.ya?ml$/.test(name) ? [path] : [];
  });
})(root);

const docs = [];
for (const file of files)
  for (const doc of parseAllDocuments(readFileSync(file, "utf8"))) {
    if (doc.errors.length) problems.push(`${file}: ${doc.errors.join("; ")}`);
    const value = doc.toJS();
    if (value) docs.push({ file, value });
  }

// 1. Schema: apps/v1 Deployment → kubernetes-models/apps/v1/Deployment, v1 Service → kubernetes-models/v1/Service.
for (const { file, value } of docs) {
  const where = `${file}: ${value.kind}/${value.metadata?.name}`;
  const [group, version] = value.apiVersion.includes("/") ? value.apiVersion.split("/") : [null, value.apiVersion];
  let Model;
  try {
    Model = (await import(`kubernetes-models/${group ? group + "/" : ""}${version}/${value.kind}`))[value.kind];
  } catch {
    problems.push(`${where}: unknown apiVersion/kind ${value.apiVersion} ${value.kind}`);
    continue;
  }
  try {
    new Model(value).validate();
  } catch (e) {
    problems.push(`${where}: ${e.message}`);
  }
}

// 2. What a real cluster needs.
const created = new Set(docs.map(d => `${d.value.kind}/${d.value.metadata?.name}`));
for (const { file, value } of docs) {
  const pod = value.spec?.template?.spec;
  if (!pod) continue;
  const where = `${file}: ${value.kind}/${value.metadata.name}`;
  for (const c of pod.containers) {
    const image = c.image ?? "";
    if ((image.endsWith(":latest") || !image.includes(":")) && c.imagePullPolicy !== "IfNotPresent" && c.imagePullPolicy !== "Never")
      problems.push(`${where}: ${image} is a locally built :latest; without imagePullPolicy IfNotPresent it is pulled (and not found)`);
    for (const e of c.env ?? []) {
      const ref = e.valueFrom?.secretKeyRef;
      if (ref && !ref.optional && !created.has(`Secret/${ref.name}`))
        problems.push(`${where}: env ${e.name} needs secret ${ref.name}, which no manifest creates (make it optional)`);
    }
    const cpu = c.resources?.limits?.cpu;
    if (!cpu && !c.resources?.limits?.["nvidia.com/gpu"]) problems.push(`${where}: no CPU limit`);
    const threads = (c.env ?? []).find(e => e.name === "SteerServer__Model__Threads");
    if (cpu && threads?.valueFrom?.resourceFieldRef?.resource !== "limits.cpu" && String(threads?.value) !== String(parseInt(cpu)))
      problems.push(`${where}: SteerServer__Model__Threads does not follow the CPU limit ${cpu} (the default is every core of the node)`);
    if (!c.startupProbe && !(c.livenessProbe?.initialDelaySeconds >= 120))
      problems.push(`${where}: no startupProbe: liveness would restart a pod still downloading its model`);
  }
  for (const v of pod.volumes ?? [])
    if (v.persistentVolumeClaim && !created.has(`PersistentVolumeClaim/${v.persistentVolumeClaim.claimName}`))
      problems.push(`${where}: volume ${v.name} needs claim ${v.persistentVolumeClaim.claimName}, which no manifest creates`);
}

if (problems.length) {
  console.error(problems.join("\n"));
  process.exit(1);
}
console.log(`deploy check: ${docs.length} manifests in ${files.length} files valid (Kubernetes schema and cluster rules)`);
