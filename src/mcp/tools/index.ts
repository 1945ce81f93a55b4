// The one list of tools the server exposes. Adding a tool: see AGENTS.md.
import type { ToolDefinition } from '../tool.js';
import { findCapabilityByIntent } from './find-capability-by-intent.js';
import { getFailureModes } from './get-failure-modes.js';
import { invokeModel } from './invoke-model.js';
import { verifyPassport } from './verify-passport.js';

// Each definition keeps its own input type; the registry only needs the common shape.
export const TOOLS = [findCapabilityByIntent, verifyPassport, getFailureModes, invokeModel] as unknown as ToolDefinition[];
