// Package bridge describes how the Terraform Docker provider is presented to Pulumi: the tokens
// the @pulumi/docker Node.js SDK uses (docker:index/<resource>:<Resource>).
package bridge

import (
	"github.com/pulumi/pulumi-terraform-bridge/v3/pkg/tfbridge"
	"github.com/pulumi/pulumi-terraform-bridge/v3/pkg/tfbridge/tokens"
	shimv2 "github.com/pulumi/pulumi-terraform-bridge/v3/pkg/tfshim/sdk-v2"
	"github.com/terraform-providers/terraform-provider-docker/shim"
)

// Version is stamped by the setup program (setup/pieces/toolchain.ts) with -ldflags -X; the engine reports it and the
// Terraform provider sends it as its user agent.
var Version string

// Provider maps every Terraform resource docker_<name> to docker:index/<name>:<Name>, except
// where the @pulumi/docker SDK chose other names.
func Provider() tfbridge.ProviderInfo {
	info := tfbridge.ProviderInfo{
		P:       shimv2.NewProvider(shim.NewProvider(Version)),
		Name:    "docker",
		Version: Version,
		Config: map[string]*tfbridge.SchemaInfo{
			// The SDK names this setting in the singular, like the Terraform one.
			"registry_auth": {Name: "registryAuth"},
		},
		Resources: map[string]*tfbridge.ResourceInfo{
			"docker_container": {Fields: map[string]*tfbridge.SchemaInfo{
				// The SDK keeps these list names singular.
				"command":           {Name: "command"},
				"networks_advanced": {Name: "networksAdvanced"},
			}},
			// In the SDK, Image is the image build of pulumi-docker itself, not this resource.
			"docker_image":  {Tok: "docker:index/remoteImage:RemoteImage"},
			"docker_config": {Tok: "docker:index/serviceConfig:ServiceConfig"},
		},
		DataSources: map[string]*tfbridge.DataSourceInfo{
			"docker_image": {Tok: "docker:index/getRemoteImage:getRemoteImage"},
		},
	}
	info.MustComputeTokens(tokens.SingleModule("docker_", "index", tokens.MakeStandard("docker")))
	return info
}
