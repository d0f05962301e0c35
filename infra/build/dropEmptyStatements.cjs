// A statement whose Resource is an empty list grants nothing, and IAM rejects it. Statements whose
// resources come from the configuration (e.g. the template roles iam:PassRole may pass) are empty
// when the configuration names none: they are removed here, so the role has no such statement.
class DropEmptyStatements {
  constructor(serverless) {
    this.serverless = serverless;
    this.hooks = { 'before:package:finalize': () => this.drop() };
  }

  drop() {
    const resources = this.serverless.service.provider.compiledCloudFormationTemplate.Resources ?? {};
    for (const [name, resource] of Object.entries(resources)) {
      if (resource.Type !== 'AWS::IAM::Role') continue;
      for (const policy of resource.Properties?.Policies ?? []) {
        const document = policy.PolicyDocument;
        if (!Array.isArray(document?.Statement)) continue;
        const kept = document.Statement.filter((statement) => !(Array.isArray(statement.Resource) && statement.Resource.length === 0));
        if (kept.length !== document.Statement.length) {
          this.serverless.cli.log(`${name}: dropped ${document.Statement.length - kept.length} statement(s) with no resource (nothing configured to grant)`);
          document.Statement = kept;
        }
      }
    }
  }
}

module.exports = DropEmptyStatements;
