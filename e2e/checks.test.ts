import { describe, expect, it } from "vitest";
import { credentialsOf, leakedIn } from "./checks";

describe("the credentials check", () => {
  it("reads the key id and the secret of the credentials file's default profile", () => {
    expect(credentialsOf("[default]\naws_access_key_id = AKIAEXAMPLE01\naws_secret_access_key = s3cr3t/Example+Key\n")).toEqual([
      "AKIAEXAMPLE01",
      "s3cr3t/Example+Key",
    ]);
    expect(credentialsOf("[default]\n")).toEqual([]);
  });

  it("names every text a credential appears in, and only those", () => {
    const texts = {
      "reports/e2e/docker-s3/faults.json": '{"checkpointDir": "s3://flink-checkpoints/checkpoints"}',
      "logs/jobmanager.log": "Starting Python process with environment variables: {AWS_ACCESS_KEY_ID=AKIAEXAMPLE01}",
      "pulumi stack output --show-secrets": '{"x": "s3cr3t/Example+Key"}',
    };
    expect(leakedIn(texts, ["AKIAEXAMPLE01", "s3cr3t/Example+Key"])).toEqual(["logs/jobmanager.log", "pulumi stack output --show-secrets"]);
    expect(leakedIn({ a: "nothing" }, ["AKIAEXAMPLE01"])).toEqual([]);
  });

  it("refuses a credential too short to be told from other text", () => {
    expect(() => leakedIn({ a: "abc" }, ["abc"])).toThrow("shorter than 8 characters");
  });
});
