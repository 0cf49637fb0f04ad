/**
 * GET /v1/openapi.json's query (the query handler parses with it; openapi-operations.ts
 * describes it). Apart from the document's builder, which the query function loads lazily
 * (openapi-document-loader.ts).
 */
import * as z from "zod";

export const openApiQuerySchema = z.object({ include: z.enum(["schemas"]).optional() });
