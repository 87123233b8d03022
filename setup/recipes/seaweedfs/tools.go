//go:build tools

// Package seaweedfs only requires weed's main package, which the setup program builds (setup/pieces/seaweedfs.ts).
package seaweedfs

import _ "github.com/seaweedfs/seaweedfs/weed"
