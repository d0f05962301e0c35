// Serverless always creates a shared `IamRoleLambdaExecution` role, and adds the on-failure
// destination permission to it even when every function has its own role
// (serverless-iam-roles-per-function). An unused role with permissions is exactly what least
// privilege forbids, so it is removed when nothing in the template refers to it.
class RemoveUnusedDefaultRole {
  constructor(serverless) {
    this.serverless = serverless;
    this.hooks = { 'before:package:finalize': () => this.removeIfUnused() };
  }

  removeIfUnused() {
    const template = this.serverless.service.provider.compiledCloudFormationTemplate;
    const resources = template.Resources ?? {};
    if (!resources.IamRoleLambdaExecution) return;
    const { IamRoleLambdaExecution, ...others } = resources;
    const referenced = JSON.stringify({ ...template, Resources: others }).match(/"IamRoleLambdaExecution"/);
    if (!referenced) {
      delete resources.IamRoleLambdaExecution;
      this.serverless.cli.log('Removed the unused shared role IamRoleLambdaExecution (every function has its own role)');
    }
  }
}

module.exports = RemoveUnusedDefaultRole;
