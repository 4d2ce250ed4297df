// Validate Kubernetes manifests against the Kubernetes API schema with
// kubernetes-models (the OpenAPI schema of each kind, compiled to
// validators): types, required fields and enum values. Prints one line per
// object; exits 1 when any object is invalid or of a kind it does not know.
//
//   node validate.mjs FILE.yaml...
import { readFileSync } from "node:fs";
import { parseAllDocuments } from "yaml";

let failed = 0;

async function modelOf(apiVersion, kind) {
  // "apps/v1" -> kubernetes-models/apps/v1/Kind; "v1" -> kubernetes-models/v1/Kind
  if (!/^[a-z0-9.\/-]+$/.test(apiVersion) || !/^[A-Za-z]+$/.test(kind)) {
    return undefined;
  }
  try {
    return (await import(`kubernetes-models/${apiVersion}/${kind}`))[kind];
  } catch (e) {
    return undefined;
  }
}

for (const file of process.argv.slice(2)) {
  for (const doc of parseAllDocuments(readFileSync(file, "utf8"))) {
    if (doc.errors.length > 0) {
      console.log(`${file}: not YAML: ${doc.errors[0].message}`);
      failed++;
      continue;
    }
    const obj = doc.toJS();
    if (obj === null) continue;
    const where = `${file}: ${obj.kind} ${obj.metadata?.name}`;
    const Model = await modelOf(obj.apiVersion, obj.kind);
    if (Model === undefined) {
      console.log(`${where}: no schema for ${obj.apiVersion} ${obj.kind}`);
      failed++;
      continue;
    }
    try {
      new Model(obj).validate();
      console.log(`${where}: valid`);
    } catch (e) {
      console.log(`${where}: ${e.message}`);
      failed++;
    }
  }
}
process.exit(failed > 0 ? 1 : 0);
