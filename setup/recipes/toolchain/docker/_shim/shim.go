// Package shim is placed by the setup program (setup/pieces/toolchain.ts) inside a build copy of the Terraform Docker
// provider module, the only place from which its internal provider package may be imported.
// (The leading underscore of this folder keeps Go from compiling it as part of the wrapper.)
package shim

import (
	"github.com/hashicorp/terraform-plugin-sdk/v2/helper/schema"
	"github.com/terraform-providers/terraform-provider-docker/internal/provider"
)

// NewProvider returns the Terraform Docker provider that reports the given version.
func NewProvider(version string) *schema.Provider {
	return provider.New(version)()
}
